package storesql

import (
	"testing"
	"testing/fstest"
)

func TestLoadMigrationsSortsByVersion(t *testing.T) {
	ms, err := LoadMigrations(fstest.MapFS{
		"010_c.sql":  {Data: []byte("C")},
		"009_b.sql":  {Data: []byte("B")},
		"001_a.sql":  {Data: []byte("A")},
		"README.txt": {Data: []byte("not a migration")},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Name+"="+m.SQL)
	}
	if len(ms) != 3 || ms[0].Version != 1 || ms[2].Version != 10 || got[1] != "009_b.sql=B" {
		t.Fatalf("loaded %v, want 001, 009, 010 in order with their SQL", got)
	}
}

func TestLoadMigrationsRejects(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"no number":         {"init.sql": {}},
		"upper case":        {"001_Init.sql": {}},
		"duplicate version": {"001_a.sql": {}, "1_b.sql": {}},
	} {
		if _, err := LoadMigrations(fsys); err == nil {
			t.Errorf("%s: loaded, want an error", name)
		}
	}
}
