// Package client is the Go SDK of the SIPSIM REST API (/api/v2): phones,
// click-to-call, call history, live progress (Server-Sent Events), tags and
// webhooks. Objects are the server's own JSON shapes (package wire); API
// failures are *Error values that helpers such as IsBusy and
// IsInvalidNumber classify.
//
// Place a call and follow it until it ends:
//
//	c := client.New("http://127.0.0.1:8080", os.Getenv("SIPSIM_TOKEN"))
//	ctx := context.Background()
//
//	call, err := c.CreateCall(ctx, client.CreateCallParams{
//		PhoneID:        123,
//		TargetNumber:   "+33698765432",
//		IdempotencyKey: clickID, // the same click retried never rings twice
//	}, client.RetryOnBusy(client.Backoff{Initial: 30 * time.Second, Max: 90 * time.Second, Attempts: 3}))
//	e, _ := errors.AsType[*client.Error](err)
//	switch {
//	case client.IsInvalidNumber(err):
//		return fmt.Errorf("not an E.164 number: %w", err)
//	case client.IsBusy(err):
//		return fmt.Errorf("the line is still busy: %w", err)
//	case client.IsDuplicateCall(err):
//		call, err = c.GetCall(ctx, e.CallID) // a double click: follow the call already placed
//	}
//	if err != nil {
//		return err
//	}
//	fmt.Println("ringing your phone:", call.ID)
//
//	for ev, err := range c.FollowCall(ctx, call.ID, 0) {
//		if err != nil {
//			return err
//		}
//		fmt.Println(ev.Type, ev.Data.Call.Status)
//	}
//	// The last event was call.ended: ev.Data.Call.EndedReason says why.
//
// FollowCall resumes after a dropped connection by itself; a program that
// restarts passes the last event id it handled. For a server-to-server
// integration, register a webhook (CreateWebhook) and check each delivery
// with VerifyWebhook.
package client
