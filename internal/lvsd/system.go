package lvsd

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"lvskit/internal/ipvs"
)

// modprobe loads ip_vs, as ipvsadm does when the kernel lacks it.
func modprobe() error {
	return exec.Command("/sbin/modprobe", "-q", "--", "ip_vs").Run()
}

// managedFile is the state file: the virtual services lvsd manages, so
// that one removed from lvs.cf while lvsd was stopped with --keep is
// still removed at the next start, and no other service ever is.
type managedFile struct {
	Services []ipvs.ServiceKey
}

func readManaged(path string) ([]ipvs.ServiceKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	var m managedFile
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("state file %s: %v (remove it to start afresh)", path, err)
	}
	for _, k := range m.Services {
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("state file %s: %v (remove it to start afresh)", path, err)
		}
	}
	return m.Services, nil
}

// writeManaged replaces the state file in one rename.
func writeManaged(path string, keys []ipvs.ServiceKey) error {
	data, err := json.MarshalIndent(managedFile{Services: keys}, "", "\t")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".lvsd-state-*")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("state file: %w", werr)
	}
	return nil
}
