package tuning

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMemoryFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if got := cgroupLimit(write("limited", "1073741824\n")); got != 1<<30 {
		t.Errorf("cgroup limit of 1 GiB read as %d", got)
	}
	if got := cgroupLimit(write("unlimited", "max\n")); got != 0 {
		t.Errorf("cgroup limit \"max\" read as %d, want 0 (none)", got)
	}
	if got := cgroupLimit(filepath.Join(dir, "missing")); got != 0 {
		t.Errorf("missing cgroup file read as %d", got)
	}
	meminfo := write("meminfo", "MemFree:  1000 kB\nMemTotal:       2048000 kB\n")
	if got := memTotal(meminfo); got != 2048000<<10 {
		t.Errorf("MemTotal read as %d", got)
	}
	if got := memTotal(write("odd", "MemTotal: lots\n")); got != 0 {
		t.Errorf("unreadable MemTotal read as %d", got)
	}
}

// On the machine the tests run on, the cap is at most the floor and,
// where the kernel tells the memory, at most a quarter of it.
func TestCapToMemory(t *testing.T) {
	const floor = 512 << 20
	got := CapToMemory(floor)
	if got > floor || got == 0 {
		t.Fatalf("CapToMemory(512 MiB) = %d", got)
	}
	if total := memTotal("/proc/meminfo"); total > 0 && got > total/4 {
		t.Fatalf("CapToMemory(512 MiB) = %d, more than a quarter of the machine's %d", got, total)
	}
}
