package storetest

import (
	"testing"
	"time"

	"github.com/sipsim/sipsim"
)

func testTags(t *testing.T, open OpenFunc) {
	t.Run("CRUD", func(t *testing.T) { testTagCRUD(t, open) })
	t.Run("NameConflict", func(t *testing.T) { testTagConflict(t, open) })
	t.Run("NotFound", func(t *testing.T) { testTagNotFound(t, open) })
	t.Run("OnCalls", func(t *testing.T) { testTagsOnCalls(t, open) })
	t.Run("DeleteTakesItOffCalls", func(t *testing.T) { testDeleteTagFromCalls(t, open) })
	t.Run("RenameFollowsCalls", func(t *testing.T) { testRenameTag(t, open) })
}

func newTag(account int64, name string) *sipsim.Tag {
	return &sipsim.Tag{AccountID: account, Name: name, Color: "#808080"}
}

func testTagCRUD(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	var created []*sipsim.Tag
	for _, name := range []string{"lead", "follow-up", "vip"} {
		tag := newTag(sipsim.DefaultAccountID, name)
		must(t, e.s.CreateTag(e.ctx, tag))
		if tag.ID <= 0 || !tag.CreatedAt.Equal(e.clock.Now()) || !tag.UpdatedAt.Equal(e.clock.Now()) {
			t.Fatalf("created tag = %+v; want an id and both times %s", tag, e.clock.Now())
		}
		got, err := e.s.Tag(e.ctx, sipsim.DefaultAccountID, tag.ID)
		must(t, err)
		wantEqual(t, "Tag", got, tag)
		created = append(created, tag)
		e.clock.Advance(time.Second)
	}
	must(t, e.s.CreateTag(e.ctx, newTag(OtherAccountID, "another account's")))

	tags, err := e.s.Tags(e.ctx, sipsim.DefaultAccountID)
	must(t, err)
	wantEqual(t, "Tags, by name", tags, []*sipsim.Tag{created[1], created[0], created[2]})

	u := &sipsim.Tag{ID: created[0].ID, AccountID: sipsim.DefaultAccountID, Name: "hot-lead", Color: "#ff8800"}
	must(t, e.s.UpdateTag(e.ctx, u))
	if !u.CreatedAt.Equal(created[0].CreatedAt) || !u.UpdatedAt.Equal(e.clock.Now()) {
		t.Fatalf("updated tag times = %s, %s; want %s, %s", u.CreatedAt, u.UpdatedAt, created[0].CreatedAt, e.clock.Now())
	}
	got, err := e.s.Tag(e.ctx, sipsim.DefaultAccountID, u.ID)
	must(t, err)
	wantEqual(t, "updated Tag", got, u)

	must(t, e.s.DeleteTag(e.ctx, sipsim.DefaultAccountID, created[1].ID))
	_, err = e.s.Tag(e.ctx, sipsim.DefaultAccountID, created[1].ID)
	wantCode(t, err, sipsim.ENOTFOUND, "Tag not found")
	tags, err = e.s.Tags(e.ctx, sipsim.DefaultAccountID)
	must(t, err)
	wantEqual(t, "Tags after delete", tags, []*sipsim.Tag{u, created[2]})

	none, err := e.s.Tags(e.ctx, OtherAccountID+1)
	must(t, err)
	if len(none) != 0 {
		t.Fatalf("Tags of an account without tags = %d tags", len(none))
	}
}

func testTagConflict(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	lead, vip := newTag(sipsim.DefaultAccountID, "lead"), newTag(sipsim.DefaultAccountID, "vip")
	must(t, e.s.CreateTag(e.ctx, lead))
	must(t, e.s.CreateTag(e.ctx, vip))
	wantCode(t, e.s.CreateTag(e.ctx, newTag(sipsim.DefaultAccountID, "lead")), sipsim.ECONFLICT, "A tag named lead already exists")

	renamed := *vip
	renamed.Name = "lead"
	wantCode(t, e.s.UpdateTag(e.ctx, &renamed), sipsim.ECONFLICT, "A tag named lead already exists")
	got, err := e.s.Tag(e.ctx, sipsim.DefaultAccountID, vip.ID)
	must(t, err)
	wantEqual(t, "Tag after a refused rename", got, vip)

	// Keeping its own name is no conflict; other accounts have their own names.
	vip.Color = "#000000"
	must(t, e.s.UpdateTag(e.ctx, vip))
	must(t, e.s.CreateTag(e.ctx, newTag(OtherAccountID, "lead")))
	// A deleted tag's name is free again.
	must(t, e.s.DeleteTag(e.ctx, sipsim.DefaultAccountID, lead.ID))
	must(t, e.s.CreateTag(e.ctx, newTag(sipsim.DefaultAccountID, "lead")))
}

func testTagNotFound(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	c := e.storeCall(t, "call_1", sipsim.DefaultAccountID, p.ID, targetA, sipsim.CallCompleted, sipsim.ReasonTargetHangup)
	tag := newTag(sipsim.DefaultAccountID, "lead")
	must(t, e.s.CreateTag(e.ctx, tag))
	otherTag := newTag(OtherAccountID, "theirs")
	must(t, e.s.CreateTag(e.ctx, otherTag))

	for _, tt := range []struct {
		name    string
		account int64
		id      int64
	}{
		{"unknown id", sipsim.DefaultAccountID, tag.ID + 100},
		{"other account", OtherAccountID, tag.ID},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.s.Tag(e.ctx, tt.account, tt.id)
			wantCode(t, err, sipsim.ENOTFOUND, "Tag not found")
			wantCode(t, e.s.UpdateTag(e.ctx, &sipsim.Tag{ID: tt.id, AccountID: tt.account, Name: "x", Color: "#000000"}),
				sipsim.ENOTFOUND, "Tag not found")
			wantCode(t, e.s.DeleteTag(e.ctx, tt.account, tt.id), sipsim.ENOTFOUND, "Tag not found")
		})
	}
	for _, tt := range []struct {
		name   string
		callID string
		tagID  int64
		msg    string
	}{
		{"unknown call", "call_unknown", tag.ID, "Call not found"},
		{"unknown tag", c.ID, tag.ID + 100, "Tag not found"},
		{"other account's tag", c.ID, otherTag.ID, "Tag not found"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			wantCode(t, e.s.TagCall(e.ctx, sipsim.DefaultAccountID, tt.callID, tt.tagID), sipsim.ENOTFOUND, tt.msg)
			wantCode(t, e.s.UntagCall(e.ctx, sipsim.DefaultAccountID, tt.callID, tt.tagID), sipsim.ENOTFOUND, tt.msg)
		})
	}
	// The call of one account is unknown to another, even with its tag.
	wantCode(t, e.s.TagCall(e.ctx, OtherAccountID, c.ID, otherTag.ID), sipsim.ENOTFOUND, "Call not found")
	got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	if len(got.Tags) != 0 {
		t.Fatalf("refused tagging left tags %s", tagNames(got.Tags))
	}
}

func testTagsOnCalls(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	c := e.storeCall(t, "call_1", sipsim.DefaultAccountID, p.ID, targetA, sipsim.CallCompleted, sipsim.ReasonTargetHangup)
	untouched := e.storeCall(t, "call_2", sipsim.DefaultAccountID, p.ID, targetA, sipsim.CallCompleted, sipsim.ReasonTargetHangup)
	vip, lead := newTag(sipsim.DefaultAccountID, "vip"), newTag(sipsim.DefaultAccountID, "lead")
	must(t, e.s.CreateTag(e.ctx, vip))
	must(t, e.s.CreateTag(e.ctx, lead))

	must(t, e.s.TagCall(e.ctx, sipsim.DefaultAccountID, c.ID, vip.ID))
	must(t, e.s.TagCall(e.ctx, sipsim.DefaultAccountID, c.ID, lead.ID))
	must(t, e.s.TagCall(e.ctx, sipsim.DefaultAccountID, c.ID, vip.ID)) // twice: no change
	got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "tags, by name", got.Tags, []sipsim.Tag{*lead, *vip})
	got, err = e.s.Call(e.ctx, sipsim.DefaultAccountID, untouched.ID)
	must(t, err)
	if len(got.Tags) != 0 {
		t.Fatalf("other call got tags %s", tagNames(got.Tags))
	}

	must(t, e.s.UntagCall(e.ctx, sipsim.DefaultAccountID, c.ID, vip.ID))
	must(t, e.s.UntagCall(e.ctx, sipsim.DefaultAccountID, c.ID, vip.ID)) // not on it: no error
	got, err = e.s.Call(e.ctx, sipsim.DefaultAccountID, c.ID)
	must(t, err)
	wantEqual(t, "tags after untag", got.Tags, []sipsim.Tag{*lead})
	listed, err := e.s.Calls(e.ctx, sipsim.CallFilter{AccountID: sipsim.DefaultAccountID, Tag: "vip"})
	must(t, err)
	wantIDs(t, "Calls tagged vip after untag", listed)
}

func testDeleteTagFromCalls(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	lead, vip := newTag(sipsim.DefaultAccountID, "lead"), newTag(sipsim.DefaultAccountID, "vip")
	must(t, e.s.CreateTag(e.ctx, lead))
	must(t, e.s.CreateTag(e.ctx, vip))
	for _, id := range []string{"call_1", "call_2"} {
		e.storeCall(t, id, sipsim.DefaultAccountID, p.ID, targetA, sipsim.CallCompleted, sipsim.ReasonTargetHangup)
		must(t, e.s.TagCall(e.ctx, sipsim.DefaultAccountID, id, lead.ID))
		must(t, e.s.TagCall(e.ctx, sipsim.DefaultAccountID, id, vip.ID))
	}
	must(t, e.s.DeleteTag(e.ctx, sipsim.DefaultAccountID, lead.ID))
	for _, id := range []string{"call_1", "call_2"} {
		got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, id)
		must(t, err)
		wantEqual(t, id+" tags", got.Tags, []sipsim.Tag{*vip})
	}
	listed, err := e.s.Calls(e.ctx, sipsim.CallFilter{AccountID: sipsim.DefaultAccountID, Tag: "lead"})
	must(t, err)
	wantIDs(t, "Calls tagged with the deleted tag", listed)
	// A new tag with the old name starts with no calls.
	must(t, e.s.CreateTag(e.ctx, newTag(sipsim.DefaultAccountID, "lead")))
	listed, err = e.s.Calls(e.ctx, sipsim.CallFilter{AccountID: sipsim.DefaultAccountID, Tag: "lead"})
	must(t, err)
	wantIDs(t, "Calls tagged with the new tag", listed)
}

func testRenameTag(t *testing.T, open OpenFunc) {
	e := newEnv(t, open)
	p := phoneOnEnv(t, e, 1)
	tag := newTag(sipsim.DefaultAccountID, "lead")
	must(t, e.s.CreateTag(e.ctx, tag))
	e.storeCall(t, "call_1", sipsim.DefaultAccountID, p.ID, targetA, sipsim.CallCompleted, sipsim.ReasonTargetHangup)
	must(t, e.s.TagCall(e.ctx, sipsim.DefaultAccountID, "call_1", tag.ID))

	e.clock.Advance(time.Second)
	tag.Name, tag.Color = "customer", "#123456"
	must(t, e.s.UpdateTag(e.ctx, tag))
	got, err := e.s.Call(e.ctx, sipsim.DefaultAccountID, "call_1")
	must(t, err)
	wantEqual(t, "renamed tag on the call", got.Tags, []sipsim.Tag{*tag})
	for name, want := range map[string][]string{"customer": {"call_1"}, "lead": nil} {
		listed, err := e.s.Calls(e.ctx, sipsim.CallFilter{AccountID: sipsim.DefaultAccountID, Tag: name})
		must(t, err)
		wantIDs(t, "Calls tagged "+name, listed, want...)
	}
}
