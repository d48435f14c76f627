package gateway

import (
	"context"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WatchConfig reloads when the config file changes, until ctx is done.
// It watches the file's directory, so editors that replace the file by
// renaming (and Kubernetes ConfigMap symlink swaps) are seen; bursts of
// events are coalesced.
func (s *Server) WatchConfig(ctx context.Context) error {
	if s.opts.ConfigPath == "" {
		return nil
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	path, err := filepath.Abs(s.opts.ConfigPath)
	if err != nil {
		w.Close()
		return err
	}
	if err := w.Add(filepath.Dir(path)); err != nil {
		w.Close()
		return err
	}
	go func() {
		defer w.Close()
		var debounce <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Clean(ev.Name) == path || filepath.Base(ev.Name) == "..data" {
					debounce = time.After(200 * time.Millisecond)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				s.log.Warn("config watch error", "err", err)
			case <-debounce:
				debounce = nil
				s.Reload()
			}
		}
	}()
	return nil
}
