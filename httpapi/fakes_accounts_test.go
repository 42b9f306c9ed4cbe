package httpapi

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sipsim/sipsim"
)

// fakeAccounts holds the two accounts of the test tokens: the operator's
// (1, realm testRealm) and a tenant (2).
type fakeAccounts struct {
	mu       sync.Mutex
	now      func() time.Time
	accounts map[int64]*sipsim.Account
	nextID   int64
}

func newFakeAccounts(now func() time.Time) *fakeAccounts {
	return &fakeAccounts{now: now, nextID: 3, accounts: map[int64]*sipsim.Account{
		1: {ID: 1, Name: "operator", SIPDomain: testRealm, Country: "FR", CreatedAt: now()},
		2: {ID: 2, Name: "tenant", SIPDomain: "tenant.sipsim.test", Country: "FR", CreatedAt: now()},
	}}
}

func (f *fakeAccounts) CreateAccount(_ context.Context, a *sipsim.Account) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range f.accounts {
		if strings.EqualFold(o.SIPDomain, a.SIPDomain) {
			return sipsim.Errorf(sipsim.ECONFLICT, "SIP domain %s is taken", a.SIPDomain)
		}
	}
	a.ID, a.CreatedAt = f.nextID, f.now()
	f.nextID++
	cp := *a
	f.accounts[a.ID] = &cp
	return nil
}

func (f *fakeAccounts) Account(_ context.Context, id int64) (*sipsim.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.accounts[id]
	if !ok {
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "Account not found")
	}
	cp := *a
	return &cp, nil
}

func (f *fakeAccounts) AccountBySIPDomain(_ context.Context, domain string) (*sipsim.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.accounts {
		if strings.EqualFold(a.SIPDomain, domain) {
			cp := *a
			return &cp, nil
		}
	}
	return nil, sipsim.Errorf(sipsim.ENOTFOUND, "Account not found")
}

func (f *fakeAccounts) Accounts(context.Context) ([]*sipsim.Account, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*sipsim.Account
	for _, a := range f.accounts {
		cp := *a
		out = append(out, &cp)
	}
	slices.SortFunc(out, func(a, b *sipsim.Account) int { return int(a.ID - b.ID) })
	return out, nil
}

func (f *fakeAccounts) UpdateAccount(_ context.Context, a *sipsim.Account) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.accounts[a.ID]; !ok {
		return sipsim.Errorf(sipsim.ENOTFOUND, "Account not found")
	}
	cp := *a
	f.accounts[a.ID] = &cp
	return nil
}
