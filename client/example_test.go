package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/sipsim/sipsim/client"
)

func Example() {
	c := client.New("http://127.0.0.1:8080", os.Getenv("SIPSIM_TOKEN"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	call, err := c.CreateCall(ctx, client.CreateCallParams{PhoneID: 123, TargetNumber: "+33698765432"},
		client.RetryOnBusy(client.Backoff{Initial: 30 * time.Second, Max: 90 * time.Second, Attempts: 3}))
	if e, ok := errors.AsType[*client.Error](err); ok && client.IsDuplicateCall(err) {
		call, err = c.GetCall(ctx, e.CallID) // a double click: follow the first call
	}
	if err != nil {
		log.Fatal(err)
	}
	for ev, err := range c.FollowCall(ctx, call.ID, 0) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.Type, ev.Data.Call.Status)
	}
}

func ExampleVerifyWebhook() {
	secret := os.Getenv("SIPSIM_WEBHOOK_SECRET") // from CreateWebhook
	var mu sync.Mutex
	seen := map[int64]bool{} // keep it in your database: deliveries are at least once
	http.HandleFunc("POST /sipsim", func(w http.ResponseWriter, r *http.Request) {
		ev, err := client.VerifyWebhook(secret, r, 5*time.Minute)
		if err != nil {
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		mu.Lock()
		dup := seen[ev.ID]
		seen[ev.ID] = true
		mu.Unlock()
		if !dup {
			fmt.Println(ev.Type, ev.Data.Call.ID, ev.Data.Call.Status)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func ExampleClient_AllCalls() {
	c := client.New("http://127.0.0.1:8080", os.Getenv("SIPSIM_TOKEN"))
	since := time.Now().Add(-24 * time.Hour)
	for call, err := range c.AllCalls(context.Background(), client.ListCallsParams{
		Statuses:     []client.CallStatus{"busy", "no_answer"},
		CreatedAfter: since,
		Limit:        100,
	}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(call.ID, call.TargetNumber, call.Status)
	}
}
