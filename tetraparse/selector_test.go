package tetraparse

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/pystr"
)

func TestParseSelector(t *testing.T) {
	valid := []struct {
		text, canonical string
		want            Selector
	}{
		{"pod-namespace=default", "", Selector{PodNamespace: "default"}},
		{" pod-name=xwing , pod-namespace=default ", "pod-namespace=default,pod-name=xwing", Selector{PodNamespace: "default", PodName: "xwing"}},
		{"pod-label=org=alliance,pod-label=app.kubernetes.io/name=xwing", "pod-label=app.kubernetes.io/name=xwing,pod-label=org=alliance",
			Selector{PodLabels: map[string]string{"app.kubernetes.io/name": "xwing", "org": "alliance"}}},
		{"pod-label=empty=", "", Selector{PodLabels: map[string]string{"empty": ""}}},
		{"pid-ns=4026533329", "", Selector{PIDNamespace: 4026533329}},
		{"container-id=containerd://551e161c47d8ff0e", "", Selector{ContainerID: "containerd://551e161c47d8ff0e"}},
		{"container-id=551e161c47d8,pid-ns=18446744073709551615", "pid-ns=18446744073709551615,container-id=551e161c47d8",
			Selector{PIDNamespace: 1<<64 - 1, ContainerID: "551e161c47d8"}},
	}
	for _, c := range valid {
		got, err := ParseSelector(c.text)
		require.NoError(t, err, c.text)
		require.Equal(t, c.want, got, c.text)
		canonical := c.canonical
		if canonical == "" {
			canonical = c.text
		}
		require.Equal(t, canonical, got.String())
		again, err := ParseSelector(got.String())
		require.NoError(t, err)
		require.Equal(t, got, again)
	}
	invalid := map[string]string{
		"":                                 "no term",
		" , ":                              "not name=value",
		"pod-namespace":                    "not name=value",
		"namespace=default":                "unknown term",
		"pod-namespace=":                   "has no value",
		"pod-namespace=a,pod-namespace=b":  "given twice",
		"pod-label=app":                    "not key=value",
		"pod-label==x":                     "empty key",
		"pod-label=a=1,pod-label=a=2":      `label "a" given twice`,
		"pod-label=a=b=c":                  "holds '='",
		"pod-name=a b":                     "holds ' '",
		"pod-name=x\x00":                   "holds '\\x00'",
		"pod-name=\xff":                    "not UTF-8",
		"pid-ns=0":                         "not a PID-namespace inum",
		"pid-ns=-1":                        "not a PID-namespace inum",
		"pid-ns=+5":                        "not a PID-namespace inum",
		"pid-ns=18446744073709551616":      "not a PID-namespace inum",
		"container-id=551e161c47d":         "at least 12 characters",
		"container-id=containerd://551e16": "at least 12 characters",
	}
	for text, msg := range invalid {
		_, err := ParseSelector(text)
		require.ErrorIs(t, err, ErrSelector, "%q", text)
		require.ErrorContains(t, err, msg, "%q", text)
	}
}

// k8sEvent is a process_exec of a pod in the shape of Tetragon's docs
// (no namespaces: Tetragon was run without --enable-process-ns).
const k8sEvent = `{"process_exec":{"process":{"exec_id":"a","pid":1,"binary":"/usr/bin/curl",` +
	`"pod":{"namespace":"default","name":"xwing","container":{"id":"containerd://551e161c47d8ff0eb665438a7bcd5b4e3ef5a297282b40a92b7c77d6bd168eb3","name":"spaceship"},` +
	`"pod_labels":{"app.kubernetes.io/name":"xwing","class":"xwing","org":"alliance","org":"empire"},"workload":"xwing"},` +
	`"docker":"551e161c47d8ff0eb665438a7bcd5b4"}},"time":"2023-10-06T22:03:57.700326678Z"}`

func TestSelectorMatch(t *testing.T) {
	k8s, err := Decode([]byte(k8sEvent))
	require.NoError(t, err)
	ns, err := Decode([]byte(nsEvent))
	require.NoError(t, err)
	require.True(t, k8s.Process.Pod.Valid)
	require.Equal(t, "containerd://551e161c47d8ff0eb665438a7bcd5b4e3ef5a297282b40a92b7c77d6bd168eb3", k8s.Process.Pod.Value.ContainerID)
	require.Len(t, k8s.Process.Pod.Value.Labels, 4)
	org, ok := k8s.Process.Pod.Value.Label("org")
	require.True(t, ok)
	require.Equal(t, "empire", org, "the last of a repeated key counts")
	require.False(t, ns.Process.Pod.Valid)
	cases := []struct {
		sel     string
		k8s, ns bool
	}{
		{"pod-namespace=default", true, false},
		{"pod-namespace=kube-system", false, false},
		{"pod-namespace=default,pod-name=xwing", true, false},
		{"pod-namespace=default,pod-name=tiefighter", false, false},
		{"pod-label=class=xwing", true, false},
		{"pod-label=class=xwing,pod-label=org=empire", true, false},
		{"pod-label=org=alliance", false, false},
		{"pod-label=missing=", false, false},
		// Container ids: short, full, with the runtime's prefix, and the
		// truncated docker field.
		{"container-id=551e161c47d8", true, false},
		{"container-id=551e161c47d8ff0eb665438a7bcd5b4e3ef5a297282b40a92b7c77d6bd168eb3", true, false},
		{"container-id=containerd://551e161c47d8ff0eb665438a7bcd5b4e3ef5a297282b40a92b7c77d6bd168eb3", true, false},
		{"container-id=551e161c47d9", false, false},
		{"container-id=a51959123c3ba99a9f50a700cafe", false, true},
		{"container-id=a51959123c3b", false, true},
		{"pid-ns=4026531836", false, true},
		{"pid-ns=4026531836,pod-namespace=default", false, false},
	}
	for _, c := range cases {
		s, err := ParseSelector(c.sel)
		require.NoError(t, err)
		require.Equal(t, c.k8s, s.Match(k8s), "%s on the pod event", c.sel)
		require.Equal(t, c.ns, s.Match(ns), "%s on the namespace event", c.sel)
	}
	require.False(t, (&Selector{}).Match(&Event{}), "no process, no match")
}

func TestSelectionConfig(t *testing.T) {
	sel := []Selector{{PodNamespace: "default"}}
	_, err := New(Config{TargetInums: []uint64{1}, Select: sel})
	require.ErrorContains(t, err, "exclusive")
	_, err = New(Config{TargetInums: []uint64{1}, KeepWithoutNamespace: true})
	require.ErrorContains(t, err, "KeepWithoutNamespace")
	_, err = New(Config{Select: []Selector{{}}})
	require.ErrorIs(t, err, ErrSelector)
	require.ErrorContains(t, err, "Config.Select[0]")
	_, err = New(Config{Select: []Selector{{PodLabels: map[string]string{"a,b": "c"}}}})
	require.ErrorIs(t, err, ErrSelector)

	describe := func(cfg Config) string {
		p, err := New(cfg)
		require.NoError(t, err)
		st := p.Stats()
		return st.Selection
	}
	require.Equal(t, "reference container filter, any non-host PID namespace; host-namespace events dropped; "+
		"events without a PID-namespace inum dropped; events without a process dropped", describe(Config{}))
	require.Equal(t, "reference container filter, PID namespaces 4026533329,4026533387; host-namespace events dropped; "+
		"events without a PID-namespace inum dropped; events without a process dropped",
		describe(Config{TargetInums: []uint64{4026533329, 4026533387}}))
	require.Equal(t, "selectors [pod-namespace=default,pod-label=app=x] or [pid-ns=7]; host-namespace events kept; "+
		"events without a PID-namespace inum kept (host and container events cannot be told apart); events without a process dropped",
		describe(Config{Select: []Selector{{PodNamespace: "default", PodLabels: map[string]string{"app": "x"}}, {PIDNamespace: 7}},
			KeepHostNamespace: true, KeepWithoutNamespace: true}))

	// The Parser keeps its own copy of the selectors.
	labels := map[string]string{"app": "x"}
	cfg := Config{Select: []Selector{{PodLabels: labels}}, KeepWithoutNamespace: true}
	p, err := New(cfg)
	require.NoError(t, err)
	labels["app"] = "y"
	cfg.Select[0].PodName = "z"
	recs := 0
	for rec, err := range p.Records(strings.NewReader(strings.Replace(k8sEvent, `"org":"alliance"`, `"app":"x"`, 1)), "x.json") {
		require.NoError(t, err)
		recs += int(rec.NumRows())
	}
	require.Equal(t, 1, recs)
}

// TestSelectDocsEvents selects the pods of Tetragon's documentation
// events, which carry no namespaces, and checks every outcome count
// against the events' content (see the shared README; the counts were
// established by reading each event's process.ns and process.pod).
func TestSelectDocsEvents(t *testing.T) {
	path := sharedInput(t, "tetragon-docs/events.jsonl")
	run := func(cfg Config) Stats {
		p, err := New(cfg)
		require.NoError(t, err)
		recs := parseAll(t, p, path)
		st := p.Stats()
		require.NoError(t, st.Check())
		require.EqualValues(t, rowCount(recs), st.Kept())
		return st
	}
	// 48 events: 2 throttles, 46 exec/exit/kprobe events with a process;
	// only one (line 19) has a ns block; 27 have a pod: 16 in default
	// (one of them line 19), 10 in tenant-jobs, 1 in demo-app.
	st := run(Config{})
	require.EqualValues(t, 1, st.Kept())
	require.EqualValues(t, 45, st.DroppedBy(DropNoInum))

	st = run(Config{KeepWithoutNamespace: true})
	require.EqualValues(t, 46, st.Kept())
	require.EqualValues(t, 45, st.KeptWithoutNamespace)
	require.Empty(t, st.SelectedBy)

	sels := []Selector{{PodNamespace: "default"}, {PodNamespace: "tenant-jobs"}, {PodLabels: map[string]string{"class": "xwing"}}, {PodNamespace: "demo-app"}}
	st = run(Config{KeepWithoutNamespace: true, Select: sels})
	require.EqualValues(t, 27, st.Kept())
	require.EqualValues(t, 26, st.KeptWithoutNamespace)
	require.Equal(t, []int64{16, 10, 0, 1}, st.SelectedBy, "first matching selector counts")
	require.EqualValues(t, 19, st.DroppedBy(DropNotSelected))
	require.EqualValues(t, 2, st.DroppedBy(DropWrongEventType))
	m := st.Map()
	require.EqualValues(t, 16, m["selected_by_selector_1"])
	require.EqualValues(t, 0, m["selected_by_selector_3"])
	require.EqualValues(t, 19, m["drop_not_selected"])
	require.EqualValues(t, 26, m["kept_without_namespace"])

	// Without KeepWithoutNamespace the reference's rule comes first: only
	// the event with a namespace reaches the selectors.
	st = run(Config{Select: sels})
	require.EqualValues(t, 1, st.Kept())
	require.Equal(t, []int64{1, 0, 0, 0}, st.SelectedBy)
	require.EqualValues(t, 45, st.DroppedBy(DropNoInum))

	// Container ids: the docs' privileged-pod container (5 exec events
	// plus line 38), given by its docker short id.
	st = run(Config{KeepWithoutNamespace: true, Select: []Selector{{ContainerID: "85f791fd8dfa"}}})
	require.EqualValues(t, 6, st.Kept())
}

// TestSelectionFromBlockCache: a process block decoded once is served
// from the block cache for its later events; its pod metadata must come
// with it, owned by the cache (the lines it was read from are gone).
func TestSelectionFromBlockCache(t *testing.T) {
	var in strings.Builder
	other := strings.NewReplacer(`"default"`, `"other"`, `"exec_id":"a"`, `"exec_id":"c"`).Replace(k8sEvent)
	for range 50 {
		in.WriteString(k8sEvent + "\n" + other + "\n")
	}
	p, err := New(Config{KeepWithoutNamespace: true, Select: []Selector{{PodNamespace: "default", PodLabels: map[string]string{"org": "empire"}}}})
	require.NoError(t, err)
	for _, err := range p.Records(strings.NewReader(in.String()), "x.json") {
		require.NoError(t, err)
	}
	st := p.Stats()
	require.EqualValues(t, 50, st.Kept())
	require.EqualValues(t, 50, st.DroppedBy(DropNotSelected))
}

func TestSelectionNeedsNoK8sDecoding(t *testing.T) {
	p, err := New(Config{Select: []Selector{{PIDNamespace: 4026531836}}})
	require.NoError(t, err)
	s, err := p.getStream()
	require.NoError(t, err)
	defer p.putStream(s)
	require.True(t, s.dec.skipK8s, "pid-ns selectors read no pod block")
	s.line([]byte(nsEvent), "x", 1)
	require.False(t, s.ev.Process.Docker.Valid)
	require.Equal(t, []int64{1}, s.stats.SelectedBy)
}

// FuzzSelector: ParseSelector never panics; what it accepts New accepts,
// String writes back to the same selector, and matching decoded events
// does not panic.
func FuzzSelector(f *testing.F) {
	for _, s := range []string{
		"pod-namespace=default", "pod-namespace=default,pod-name=xwing,pod-label=app=x,pod-label=b=",
		"pid-ns=4026533329", "container-id=containerd://551e161c47d8ff0e", " pod-name=a , pod-label=k=v ",
		"pod-label=a=b=c", "pid-ns=0", "pod-name=\xff",
	} {
		f.Add(s)
	}
	k8s, _ := Decode([]byte(k8sEvent))
	ns, _ := Decode([]byte(nsEvent))
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseSelector(text)
		if err != nil {
			if !errors.Is(err, ErrSelector) {
				t.Fatalf("error %v does not wrap ErrSelector", err)
			}
			return
		}
		again, err := ParseSelector(s.String())
		if err != nil || !reflect.DeepEqual(s, again) {
			t.Fatalf("%q: String %q reads back as %+v, %v", text, s.String(), again, err)
		}
		if _, err := New(Config{Select: []Selector{s}}); err != nil {
			t.Fatalf("New refuses a parsed selector: %v", err)
		}
		s.Match(k8s)
		s.Match(ns)
	})
}

// FuzzK8sDecode: the pod and docker fields a Parser decodes for its
// selectors, the second time from the block cache, equal what Decode
// gives, and decoding never panics.
func FuzzK8sDecode(f *testing.F) {
	f.Add([]byte(k8sEvent))
	f.Add([]byte(nsEvent))
	f.Add([]byte(`{"process_kprobe":{"process":{"pod":{"namespace":1,"name":"a\u0062","pod_labels":{"k":"v","k":2,"\u006b2":""},"container":{"id":["x"]}},"docker":7},` +
		`"parent":{"pod":{"namespace":"n","container":{"id":"docker://0123456789abcdef"}}}}}`))
	f.Add([]byte(`{"process_exec":{"process":{"pod":"not an object","docker":"abc"}}}`))
	p, err := New(Config{Select: []Selector{{PodNamespace: "n"}}, KeepWithoutNamespace: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		want, err := Decode(line)
		if err != nil {
			return
		}
		s, err := p.newStream()
		if err != nil {
			t.Fatal(err)
		}
		defer s.rows.discard()
		for range 2 {
			ev := &s.ev
			if err := s.dec.decode(ev, pystr.StripBytes(line), false); err != nil {
				t.Fatalf("Decode accepts, the stream does not: %v", err)
			}
			for _, pair := range [][2]*Process{{want.Process, ev.Process}, {want.Parent, ev.Parent}} {
				w, g := pair[0], pair[1]
				if (w == nil) != (g == nil) {
					t.Fatalf("process block present %v, stream %v", w != nil, g != nil)
				}
				if w == nil {
					continue
				}
				if !reflect.DeepEqual(w.Pod, g.Pod) || w.Docker != g.Docker {
					t.Fatalf("pod %+v docker %+v, stream %+v %+v", w.Pod, w.Docker, g.Pod, g.Docker)
				}
			}
		}
	})
}
