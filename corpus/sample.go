package corpus

import (
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/tetrahids/tetrahids/internal/synth"
)

// The built-in sample: a rotated export set generated at run time by
// internal/synth from the parameters in sample/sample.json (deterministic
// for its seed, so nothing large is embedded), and the labels.csv that
// examples/synth writes for the same parameters. To regenerate both after
// a change of internal/synth:
//
//	go run ./examples/synth -seed 7 -events 6000 -rotate 1500 -out /tmp/sample \
//	  -windows 8 -test-fraction 0.3 -labels corpus/sample/labels.csv
//
// and put the printed -cut into sample/sample.json. The examples/synth
// tests check that the two files still agree with the generator.
//
//go:embed sample/sample.json sample/labels.csv
var sampleFS embed.FS

// sampleParams mirrors sample/sample.json.
type sampleParams struct {
	Seed         uint64  `json:"seed"`
	Events       int     `json:"events"`
	Rotate       int     `json:"rotate"`
	Windows      int     `json:"windows"`
	TestFraction float64 `json:"test_fraction"`
	Cut          string  `json:"cut"`
}

func loadSampleParams() (sampleParams, time.Time, error) {
	var p sampleParams
	data, err := sampleFS.ReadFile("sample/sample.json")
	if err != nil {
		return p, time.Time{}, err
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return p, time.Time{}, fmt.Errorf("sample/sample.json: %w", err)
	}
	cut, err := time.Parse(time.RFC3339Nano, p.Cut)
	if err != nil {
		return p, time.Time{}, fmt.Errorf("sample/sample.json: cut: %w", err)
	}
	if p.Events <= 0 || p.Rotate <= 0 {
		return p, time.Time{}, fmt.Errorf("sample/sample.json: events %d, rotate %d: must be positive", p.Events, p.Rotate)
	}
	return p, cut, nil
}

// writeSample generates the sample's rotated export set into dir, as
// examples/synth -rotate does (lumberjack's timestamped backups, then the
// active tetragon.log): files mode 0600 (Tetragon's default export
// permission) in a directory the owner's only, like every work file.
func writeSample(dir string, p sampleParams) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return synth.New(synth.Config{Seed: p.Seed, Events: p.Events}).WriteExport(dir, p.Rotate, false, nil)
}
