package follow

import (
	"errors"
	"path/filepath"
	"sync/atomic"

	"github.com/fsnotify/fsnotify"
)

// watcher turns change notifications about the followed file and its
// backups into wake-ups. Notifications are hints only: inotify coalesces
// them, drops them when its queue overflows, and does not work on every file
// system, so the follower also polls, and it reads the file system to learn
// what changed rather than trusting the events.
type watcher struct {
	w     *fsnotify.Watcher
	n     names
	st    *counters
	wake  chan struct{}
	added atomic.Bool
	done  chan struct{}
}

func newWatcher(n names, st *counters) (*watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &watcher{w: fw, n: n, st: st, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go w.run()
	return w, nil
}

// ensure watches the directory if it is not watched yet; it may not exist
// yet, or may have been removed and created again.
func (w *watcher) ensure() {
	if w.added.Load() {
		return
	}
	if err := w.w.Add(w.n.dir); err == nil {
		w.added.Store(true)
		w.st.watching.Store(true)
	}
}

func (w *watcher) run() {
	defer close(w.done)
	for {
		select {
		case ev, ok := <-w.w.Events:
			if !ok {
				return
			}
			if filepath.Clean(ev.Name) == filepath.Clean(w.n.dir) && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				w.added.Store(false)
				w.st.watching.Store(false)
				w.signal()
				continue
			}
			if w.n.concerns(filepath.Base(ev.Name)) {
				w.st.watchEvents.Add(1)
				w.signal()
			}
		case err, ok := <-w.w.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				w.st.watchOverflows.Add(1)
			}
			w.signal()
		}
	}
}

// signal wakes the follower; wake-ups coalesce.
func (w *watcher) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *watcher) close() error {
	err := w.w.Close()
	<-w.done
	return err
}
