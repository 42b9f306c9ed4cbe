package httpapi

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/sipsim/sipsim"
)

// Small in-memory fakes of the root interfaces: enough behaviour for the
// handlers (ids, account scoping, uniqueness), plus a way to make any call
// fail or panic.

type fakeTokens struct {
	mu      sync.Mutex
	now     func() time.Time
	byHash  map[string]*sipsim.Token
	clients map[string]*sipsim.OAuthClient
	nextID  int64
	err     error
}

func (f *fakeTokens) CreateToken(_ context.Context, t *sipsim.Token) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	t.ID = 1000 + f.nextID
	f.byHash[t.Hash] = t
	return nil
}

func (f *fakeTokens) TokenByHash(_ context.Context, hash string) (*sipsim.Token, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	t, ok := f.byHash[hash]
	if !ok || (t.ExpiresAt != nil && f.now != nil && !f.now().Before(*t.ExpiresAt)) {
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "Token not found")
	}
	return t, nil
}

func (f *fakeTokens) RevokeToken(_ context.Context, accountID, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for h, t := range f.byHash {
		if t.AccountID == accountID && t.ID == id {
			delete(f.byHash, h)
			return nil
		}
	}
	return sipsim.Errorf(sipsim.ENOTFOUND, "Token not found")
}

func (f *fakeTokens) CreateClient(_ context.Context, c *sipsim.OAuthClient) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.clients == nil {
		f.clients = map[string]*sipsim.OAuthClient{}
	}
	c.ID = int64(len(f.clients) + 1)
	f.clients[c.ClientID] = c
	return nil
}

func (f *fakeTokens) ClientByClientID(_ context.Context, id string) (*sipsim.OAuthClient, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.clients[id]; ok {
		return c, nil
	}
	return nil, sipsim.Errorf(sipsim.ENOTFOUND, "OAuth client not found")
}

func (f *fakeTokens) RevokeClient(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.clients[id]; !ok {
		return sipsim.Errorf(sipsim.ENOTFOUND, "OAuth client not found")
	}
	delete(f.clients, id)
	for h, t := range f.byHash {
		if t.ClientID == id {
			delete(f.byHash, h)
		}
	}
	return nil
}

type fakePhones struct {
	mu      sync.Mutex
	now     func() time.Time
	phones  map[int64]*sipsim.Phone
	nextID  int64
	err     error // returned by every method when set
	panics  bool  // every method panics when set
	updates int
	lastF   sipsim.PhoneFilter
}

func newFakePhones(now func() time.Time) *fakePhones {
	return &fakePhones{now: now, phones: map[int64]*sipsim.Phone{}, nextID: 1}
}

func (f *fakePhones) fail() error {
	if f.panics {
		panic("fake phone store exploded")
	}
	return f.err
}

func (f *fakePhones) conflict(p *sipsim.Phone) error {
	for _, q := range f.phones {
		if q.AccountID != p.AccountID || q.ID == p.ID {
			continue
		}
		if q.InternalNumber == p.InternalNumber {
			return sipsim.Errorf(sipsim.ECONFLICT, "internal_number %d is already used", p.InternalNumber)
		}
		if q.Number == p.Number {
			return sipsim.Errorf(sipsim.ECONFLICT, "number %s is already used", p.Number)
		}
	}
	return nil
}

func (f *fakePhones) CreatePhone(_ context.Context, p *sipsim.Phone) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail(); err != nil {
		return err
	}
	if err := f.conflict(p); err != nil {
		return err
	}
	p.ID = f.nextID
	f.nextID++
	p.CreatedAt, p.UpdatedAt = f.now(), f.now()
	cp := *p
	f.phones[p.ID] = &cp
	return nil
}

func (f *fakePhones) Phone(_ context.Context, accountID, id int64) (*sipsim.Phone, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail(); err != nil {
		return nil, err
	}
	p, ok := f.phones[id]
	if !ok || p.AccountID != accountID {
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "no phone with that id")
	}
	cp := *p
	return &cp, nil
}

func (f *fakePhones) PhoneByInternalNumber(_ context.Context, accountID int64, n int) (*sipsim.Phone, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.phones {
		if p.AccountID == accountID && p.InternalNumber == n {
			cp := *p
			return &cp, nil
		}
	}
	return nil, sipsim.Errorf(sipsim.ENOTFOUND, "no phone with that id")
}

func (f *fakePhones) Phones(_ context.Context, flt sipsim.PhoneFilter) ([]*sipsim.Phone, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lastF = flt
	if err := f.fail(); err != nil {
		return nil, err
	}
	var out []*sipsim.Phone
	for _, p := range f.phones {
		if p.AccountID == flt.AccountID && (flt.Status == nil || p.Status == *flt.Status) {
			cp := *p
			out = append(out, &cp)
		}
	}
	slices.SortFunc(out, func(a, b *sipsim.Phone) int { return int(a.ID - b.ID) })
	return out, nil
}

func (f *fakePhones) UpdatePhone(_ context.Context, p *sipsim.Phone) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates++
	if err := f.fail(); err != nil {
		return err
	}
	old, ok := f.phones[p.ID]
	if !ok || old.AccountID != p.AccountID {
		return sipsim.Errorf(sipsim.ENOTFOUND, "no phone with that id")
	}
	if err := f.conflict(p); err != nil {
		return err
	}
	p.UpdatedAt = f.now()
	cp := *p
	f.phones[p.ID] = &cp
	return nil
}

func (f *fakePhones) DeletePhone(_ context.Context, accountID, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.fail(); err != nil {
		return err
	}
	p, ok := f.phones[id]
	if !ok || p.AccountID != accountID {
		return sipsim.Errorf(sipsim.ENOTFOUND, "no phone with that id")
	}
	delete(f.phones, id)
	return nil
}

type fakeRegistrations struct {
	mu      sync.Mutex
	byPhone map[int64][]*sipsim.Registration
	err     error
	deleted []int64 // phones whose bindings were dropped
}

func (f *fakeRegistrations) SaveRegistration(_ context.Context, r *sipsim.Registration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byPhone[r.PhoneID] = append(f.byPhone[r.PhoneID], r)
	return nil
}

func (f *fakeRegistrations) DeleteRegistration(context.Context, int64, string) error { return nil }

func (f *fakeRegistrations) DeleteRegistrations(_ context.Context, phoneID int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, phoneID)
	delete(f.byPhone, phoneID)
	return nil
}

func (f *fakeRegistrations) Registrations(_ context.Context, phoneID int64, now time.Time) ([]*sipsim.Registration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []*sipsim.Registration
	for _, r := range f.byPhone[phoneID] {
		if r.ExpiresAt.After(now) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakeRegistrations) LiveBindings(_ context.Context, _ int64, now time.Time) (sipsim.LiveBindings, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return sipsim.LiveBindings{}, f.err
	}
	live := sipsim.LiveBindings{Count: map[int64]int{}}
	for id, regs := range f.byPhone {
		for _, r := range regs {
			if r.ExpiresAt.After(now) {
				live.Count[id]++
				if live.NextExpiry.IsZero() || r.ExpiresAt.Before(live.NextExpiry) {
					live.NextExpiry = r.ExpiresAt
				}
			}
		}
	}
	return live, nil
}

// fakeListVersions finds tokens in tokens and reports the versions set
// in it. Tests set one when they check what is kept rendered; otherwise
// every read finds a new version (the other fakes do not raise them as
// they change), so that every request renders its list anew.
type fakeListVersions struct {
	tokens *fakeTokens
	mu     sync.Mutex
	fixed  map[sipsim.List]int64
	reads  int64
	err    error
}

func (f *fakeListVersions) TokenAndListVersion(ctx context.Context, hash string, list sipsim.List) (*sipsim.Token, int64, error) {
	tok, err := f.tokens.TokenByHash(ctx, hash)
	if err != nil {
		return nil, 0, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, 0, f.err
	}
	if v, ok := f.fixed[list]; ok {
		return tok, v, nil
	}
	f.reads++
	return tok, f.reads, nil
}

func (f *fakeListVersions) set(list sipsim.List, v int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fixed[list] = v
}

// fakeCalls answers CreateCall with create (or a fresh initiating call),
// Call/CallEvents/Calls from its maps, and CancelCall with cancel (or by
// ending the call).
type fakeCalls struct {
	mu        sync.Mutex
	now       func() time.Time
	create    func(sipsim.CreateCallRequest) (*sipsim.Call, error)
	cancel    func(id string) (*sipsim.Call, error)
	requests  []sipsim.CreateCallRequest
	cancels   []string
	calls     map[string]*sipsim.Call
	events    map[string][]*sipsim.CallEvent
	callErr   error
	eventsErr error
	listErr   error
	lastF     sipsim.CallFilter
}

func (f *fakeCalls) CreateCall(_ context.Context, req sipsim.CreateCallRequest) (*sipsim.Call, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	if f.create != nil {
		return f.create(req)
	}
	now := f.now()
	c := &sipsim.Call{
		ID: "call_test1", AccountID: req.AccountID, PhoneID: req.PhoneID, TargetNumber: req.TargetNumber,
		CallerID: "+33612345678", Direction: "outbound", Source: "api", Status: sipsim.CallInitiating,
		AgentLeg: sipsim.Leg{Status: sipsim.LegIdle}, TargetLeg: sipsim.Leg{Status: sipsim.LegIdle},
		CreatedAt: now, UpdatedAt: now,
	}
	f.calls[c.ID] = c
	f.events[c.ID] = []*sipsim.CallEvent{{ID: 1, AccountID: req.AccountID, CallID: c.ID, Type: sipsim.EventCallCreated, Status: sipsim.CallInitiating, At: now}}
	return c, nil
}

func (f *fakeCalls) Call(_ context.Context, accountID int64, id string) (*sipsim.Call, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.callErr != nil {
		return nil, f.callErr
	}
	c, ok := f.calls[id]
	if !ok || c.AccountID != accountID {
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "no such call")
	}
	cp := *c
	cp.Tags = slices.Clone(c.Tags)
	return &cp, nil
}

func (f *fakeCalls) CallEvents(_ context.Context, accountID int64, id string) ([]*sipsim.CallEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.eventsErr != nil {
		return nil, f.eventsErr
	}
	c, ok := f.calls[id]
	if !ok || c.AccountID != accountID {
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "no such call")
	}
	return f.events[id], nil
}
