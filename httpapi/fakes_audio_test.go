package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/sipsim/sipsim"
)

// fakeAudioFiles is an in-memory AudioFileStore. inUse, when set, is the
// conflict DeleteAudioFile answers; err fails every call.
type fakeAudioFiles struct {
	mu     sync.Mutex
	now    func() time.Time
	files  map[int64]*sipsim.AudioFile
	data   map[int64][]byte
	nextID int64
	inUse  error
	err    error
}

func newFakeAudioFiles(now func() time.Time) *fakeAudioFiles {
	return &fakeAudioFiles{now: now, files: map[int64]*sipsim.AudioFile{}, data: map[int64][]byte{}}
}

func (f *fakeAudioFiles) CreateAudioFile(_ context.Context, a *sipsim.AudioFile, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.nextID++
	a.ID, a.CreatedAt, a.SizeBytes = f.nextID, f.now(), int64(len(data))
	cp := *a
	f.files[a.ID] = &cp
	f.data[a.ID] = append([]byte(nil), data...)
	return nil
}

func (f *fakeAudioFiles) find(accountID, id int64) (*sipsim.AudioFile, error) {
	if f.err != nil {
		return nil, f.err
	}
	a, ok := f.files[id]
	if !ok || a.AccountID != accountID {
		return nil, sipsim.Errorf(sipsim.ENOTFOUND, "no such audio file")
	}
	cp := *a
	return &cp, nil
}

func (f *fakeAudioFiles) AudioFile(_ context.Context, accountID, id int64) (*sipsim.AudioFile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.find(accountID, id)
}

func (f *fakeAudioFiles) AudioFiles(_ context.Context, accountID int64) ([]*sipsim.AudioFile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	var out []*sipsim.AudioFile
	for id := int64(1); id <= f.nextID; id++ {
		if a, ok := f.files[id]; ok && a.AccountID == accountID {
			cp := *a
			out = append(out, &cp)
		}
	}
	return out, nil
}

func (f *fakeAudioFiles) AudioFileData(_ context.Context, accountID, id int64) (*sipsim.AudioFile, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, err := f.find(accountID, id)
	if err != nil {
		return nil, nil, err
	}
	return a, f.data[id], nil
}

func (f *fakeAudioFiles) DeleteAudioFile(_ context.Context, accountID, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.find(accountID, id); err != nil {
		return err
	}
	if f.inUse != nil {
		return f.inUse
	}
	delete(f.files, id)
	delete(f.data, id)
	return nil
}
