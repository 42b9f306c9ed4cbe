package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/sipsim/sipsim/bench/internal/rig"
)

// registeredPhones counts, through the API as a user would, the phones of
// every tenant whose registration status is "registered".
func registeredPhones(ctx context.Context, baseURL string, tenants []rig.Tenant) (int, error) {
	total := 0
	for _, t := range tenants {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/api/v2/phones", nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+t.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		var body struct {
			Data []struct {
				Registration struct {
					Status string `json:"status"`
				} `json:"registration"`
			} `json:"data"`
		}
		err = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("GET /api/v2/phones as account %d: %s", t.ID, resp.Status)
		}
		if err != nil {
			return 0, err
		}
		for _, p := range body.Data {
			if p.Registration.Status == "registered" {
				total++
			}
		}
	}
	return total, nil
}
