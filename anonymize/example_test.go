package anonymize_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tetrahids/tetrahids/anonymize"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// policyJSON is a small release policy: the card's rules, plus this
// team's own identifiers (user jdoe, host devbox, customer acme).
const policyJSON = `{
  "version": 1,
  "columns": {
    "proc_exec_id": "exec_id", "process_tree_root_exec_id": "exec_id",
    "proc_binary_basename": "basename", "parent_binary_basename": "basename",
    "root_ancestor_basename": "basename", "proc_cwd_normalized": "cwd",
    "parent_child_pair": "pair", "token": "token",
    "path_category": "text", "dst_ip_category": "text",
    "dst_port_category": "text", "object_category": "text"
  },
  "aliases": {"allow_defaults": true},
  "cwd_rules": [
    {"pattern": "^/home/[^/]+", "replacement": "/home/_user_"},
    {"pattern": "/projects/[^/]+", "replacement": "/workspace/_project_"}
  ],
  "sweep": [{"from": "acme", "to": "customer"}],
  "forbidden": ["jdoe", "devbox"],
  "patterns": [{"name": "mac_address", "regex": "(?i)\\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\\b"}]
}`

// Tetragon export of one custom tool run by bash (exec ids are base64 of
// "devbox:…", as Tetragon's are of the node name).
var events = strings.Join([]string{
	`{"process_exec":{"process":{"exec_id":"ZGV2Ym94OjE6NDI=","parent_exec_id":"ZGV2Ym94OjE6Nw==","pid":42,"uid":1000,"binary":"/home/jdoe/bin/acme-deploy","arguments":"--prod","cwd":"/srv/acme/app","flags":"execve clone","start_time":"2026-04-19T21:48:02Z","ns":{"pid":{"inum":4026533329}}},"parent":{"exec_id":"ZGV2Ym94OjE6Nw==","binary":"/usr/bin/bash","uid":1000}},"time":"2026-04-19T21:48:02.001Z"}`,
	`{"process_kprobe":{"process":{"exec_id":"ZGV2Ym94OjE6NDI=","pid":42,"uid":1000,"binary":"/home/jdoe/bin/acme-deploy","cwd":"/home/jdoe/projects/shop","ns":{"pid":{"inum":4026533329}}},"parent":{"exec_id":"ZGV2Ym94OjE6Nw==","binary":"/usr/bin/bash"},"function_name":"tcp_connect","policy_name":"network-monitor","action":"KPROBE_ACTION_POST","args":[{"sock_arg":{"family":"AF_INET","daddr":"140.82.112.3","dport":443}}]},"time":"2026-04-19T21:48:02.150Z"}`,
}, "\n")

// encoded parses and encodes the events (package encode computes every
// f_* feature from the raw values, before anonymization).
func encoded() (arrow.RecordBatch, error) {
	p, err := tetraparse.New(tetraparse.Config{})
	if err != nil {
		return nil, err
	}
	enc, err := encode.New(schema.Default(), lineage.New(), encode.WithIncrementalLineage())
	if err != nil {
		return nil, err
	}
	for raw, err := range p.Records(strings.NewReader(events), "example.json") {
		if err != nil {
			return nil, err
		}
		return enc.Encode(raw)
	}
	return nil, fmt.Errorf("no events")
}

func Example() {
	rec, err := encoded()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rec.Release()

	policy, err := anonymize.LoadPolicy(strings.NewReader(policyJSON))
	if err != nil {
		fmt.Println(err)
		return
	}
	// The key comes from your secret store; never a constant in real use.
	key := []byte("example key: 32 bytes, not real")
	p, err := anonymize.New(policy, anonymize.WithKey(key))
	if err != nil {
		fmt.Println(err)
		return
	}
	// Two-pass: observe everything, then apply.
	if err := p.Observe(rec); err != nil {
		fmt.Println(err)
		return
	}
	out, err := p.Apply(rec)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer out.Release()

	col := func(name string) *array.String {
		return out.Column(out.Schema().FieldIndices(name)[0]).(*array.String)
	}
	for i := range int(out.NumRows()) {
		fmt.Println(col("token").Value(i), "|", col("parent_child_pair").Value(i), "|", col("proc_cwd_normalized").Value(i))
		fmt.Println("  exec id:", col("proc_exec_id").Value(i)[:13]+"…")
	}
	aliases, report := p.Finish()
	aliases.WriteTo(os.Stdout)
	fmt.Println("custom:", report.Custom, "verbatim:", report.Verbatim, "sweep hits:", report.SweepHits)
	// A corpus builder re-checks written shards the same way.
	fmt.Println("verify:", anonymize.Verify(out, policy, aliases))
	// Output:
	// PROC_EXEC:bash->custom_tool_001 | bash->custom_tool_001 | /srv/customer/app/
	//   exec id: exec_58aeb54a…
	// NET_CONNECT:custom_tool_001:PUBLIC:WEB | bash->custom_tool_001 | /home/_user_/workspace/_project_/
	//   exec id: exec_58aeb54a…
	// {
	//   "format": "tetrahids.alias_map",
	//   "version": 1,
	//   "aliases": {
	//     "acme-deploy": "custom_tool_001",
	//     "bash": "bash"
	//   }
	// }
	// custom: 1 verbatim: 1 sweep hits: 1
	// verify: <nil>
}

// ExampleLoadAliasMap extends last release's alias map: existing numbers
// are kept, new custom binaries continue after them.
func ExampleLoadAliasMap() {
	previous := `{"format": "tetrahids.alias_map", "version": 1,
	  "aliases": {"bash": "bash", "zz-old-tool": "custom_tool_001"}}`
	m, err := anonymize.LoadAliasMap(strings.NewReader(previous))
	if err != nil {
		fmt.Println(err)
		return
	}
	rec, err := encoded()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rec.Release()
	p, err := anonymize.New(anonymize.DefaultPolicy(), anonymize.WithKey([]byte("example key: 32 bytes, not real")), anonymize.WithAliasMap(m))
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := p.Apply(rec)
	if err != nil {
		fmt.Println(err)
		return
	}
	out.Release()
	extended, _ := p.Finish()
	for _, o := range extended.Originals() {
		a, _ := extended.Lookup(o)
		fmt.Println(o, "→", a)
	}
	// Output:
	// acme-deploy → custom_tool_002
	// bash → bash
	// zz-old-tool → custom_tool_001
}

// A custom binary named after the customer is an alias-map original the
// release may not publish: by default the release stops; a version-2
// policy may redact it instead. Every other released file is checked too.
func ExamplePipeline_ReleaseAliasMap() {
	rec, err := encoded()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rec.Release()
	policy, err := anonymize.LoadPolicy(strings.NewReader(policyJSON))
	if err != nil {
		fmt.Println(err)
		return
	}
	key := []byte("example key: 32 bytes, not real")
	release := func(policy anonymize.Policy) (*anonymize.Pipeline, *anonymize.AliasMap, error) {
		p, err := anonymize.New(policy, anonymize.WithKey(key))
		if err != nil {
			return nil, nil, err
		}
		out, err := p.Apply(rec)
		if err != nil {
			return nil, nil, err
		}
		out.Release()
		p.Finish() // the full map: keep it private
		m, err := p.ReleaseAliasMap("reproduction/alias_map.json")
		return p, m, err
	}
	_, _, err = release(policy)
	fmt.Println(err)

	policy.Version = 2
	policy.Aliases.LeakingOriginals = anonymize.LeakingOriginalsRedact
	p, public, err := release(policy)
	if err != nil {
		fmt.Println(err)
		return
	}
	public.WriteTo(os.Stdout)

	card := "# Data card\n\nCollected on DEVBOX.\n"
	fmt.Println(p.Verifier().VerifyFile("datacard.md", strings.NewReader(card)))
	// Output:
	// anonymize: leak assertion failed: file "reproduction/alias_map.json" key "aliases[original of custom_tool_001]": forbidden_value "acme"
	// {
	//   "format": "tetrahids.alias_map",
	//   "version": 1,
	//   "aliases": {
	//     "bash": "bash"
	//   },
	//   "redacted": {
	//     "8c7627bd9a6ac250bde3289fe90529a8": "custom_tool_001"
	//   }
	// }
	// anonymize: leak assertion failed: file "datacard.md" line 3: forbidden_value "devbox"
}
