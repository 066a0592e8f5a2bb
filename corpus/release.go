package corpus

// What leaves the building: the published alias map (and the full one,
// kept privately), and the post-write check of every released file that
// is not a shard.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/tetrahids/tetrahids/anonymize"
)

// aliasMapName is the alias map's path within Out.
const aliasMapName = "reproduction/alias_map.json"

// checkPrivateAliasMap checks Config.PrivateAliasMap: required by a policy
// that redacts leaking originals, outside Out, and not the lineage
// graph's file.
func (p *Plan) checkPrivateAliasMap() error {
	c := &p.cfg
	if c.PrivateAliasMap == "" {
		if !c.NoAnonymize && p.policy.Aliases.LeakingOriginals == anonymize.LeakingOriginalsRedact {
			return &ConfigError{Field: "PrivateAliasMap", Err: ErrNoPrivateAliasMap}
		}
		return nil
	}
	var err error
	// The same rules as the lineage graph's: a file of raw names beside
	// the corpus, never inside it.
	if p.private, err = checkLineageOut(c.PrivateAliasMap, p.out); err != nil {
		return &ConfigError{Field: "PrivateAliasMap", Err: err}
	}
	if p.private == p.lineage {
		return configErr("PrivateAliasMap", "%s: the same file as LineageOut", c.PrivateAliasMap)
	}
	return nil
}

// releaseAliasMap writes the alias map a release publishes
// (anonymize.Pipeline.ReleaseAliasMap: an original that matches a
// forbidden value or pattern fails the build, or is published as a keyed
// digest when the policy says so) and, with Config.PrivateAliasMap, the
// full map to a temporary file beside it, renamed into place with the
// corpus. It ends the anonymize pipeline and returns its report for
// stats.json.
func (b *builder) releaseAliasMap() (report map[string]any, err error) {
	pub, err := b.anon.ReleaseAliasMap(aliasMapName)
	if err != nil {
		return nil, &LeakCheckError{File: aliasMapName, Err: err}
	}
	full, rep := b.anon.Finish()
	var buf bytes.Buffer
	if _, err := pub.WriteTo(&buf); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(b.tmp, filepath.FromSlash(aliasMapName)), buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	if b.private != "" {
		b.privateTmp, err = writePrivate(b.private, func(w io.Writer) error {
			_, err := full.WriteTo(w)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("full alias map: %w", err)
		}
	}
	doc, err := snakeKeys(rep)
	if err != nil {
		return nil, err
	}
	report = doc.(map[string]any)
	// Whether a private copy exists, never where: the path may name its
	// owner.
	report["redacted_aliases"] = pub.Redacted()
	report["private_alias_map"] = b.private != ""
	b.card.redactedAliases = pub.Redacted()
	return report, nil
}

// writePrivate writes a file of raw data that must stay out of the
// corpus (the lineage graph, the full alias map) to a new temporary file
// beside path, mode 0600, synced, and returns its name; the build renames
// it to path when the corpus is in place, and removes it otherwise.
func writePrivate(path string, write func(io.Writer) error) (tmp string, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return "", err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(0o600) // CreateTemp's mode already; said again because it matters
	}
	if err == nil {
		err = f.Sync()
	}
	if e := f.Close(); err == nil {
		err = e
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return f.Name(), nil
}

// VerifyFiles is the post-write check of a release directory's other
// files, once everything is written into dir: every regular file but the
// shards goes through v's Verifier.VerifyFile under its slash-separated
// path within dir (stats.json, datacard.md, labels.csv,
// reproduction/alias_map.json, reproduction/PARSER_VERSION, the feature
// definitions, and any file a later version or another stage adds), and
// the *.parquet files must be exactly shards, the files VerifyShards
// checked. A leak is a *LeakCheckError naming the file, whose
// *anonymize.LeakError names the line and the CSV column or JSON key; a
// file that cannot be checked (not a regular file, such as a symbolic
// link or a device; binary; a Parquet file VerifyShards did not read) is
// a *LeakCheckError whose Err wraps anonymize.ErrFileFormat. Files are
// checked in lexical order and the first failure is returned. v is the
// anonymize pipeline's Verifier after its last Apply.
func VerifyFiles(ctx context.Context, v *anonymize.Verifier, dir string, shards []string) error {
	want := map[string]bool{}
	for _, s := range shards {
		abs, err := filepath.Abs(s)
		if err != nil {
			return err
		}
		want[abs] = true
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		name := filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return &LeakCheckError{File: name, Err: fmt.Errorf("%w: %s: not a regular file (%v)", anonymize.ErrFileFormat, name, d.Type())}
		case strings.EqualFold(filepath.Ext(path), ".parquet"):
			if !want[path] {
				return &LeakCheckError{File: name, Err: fmt.Errorf("%w: %s: a Parquet file the shard checks did not read", anonymize.ErrFileFormat, name)}
			}
			delete(want, path)
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := v.VerifyFile(name, f); err != nil {
			var leak *anonymize.LeakError
			if errors.As(err, &leak) || errors.Is(err, anonymize.ErrFileFormat) {
				return &LeakCheckError{File: name, Err: err}
			}
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(want) > 0 {
		missing := slices.Sorted(maps.Keys(want))
		return fmt.Errorf("post-write check: checked shards missing from %s: %s", dir, strings.Join(missing, ", "))
	}
	return nil
}

// verifyFiles runs VerifyFiles over the temporary output directory, once
// nothing but the release is left in it.
func (b *builder) verifyFiles(ctx context.Context) error {
	if b.anon == nil {
		return nil
	}
	var shards []string
	for _, s := range b.splits {
		shards = append(shards, s.paths...)
	}
	return VerifyFiles(ctx, b.anon.Verifier(), b.tmp, shards)
}

// policyDigest identifies the anonymization policy without naming its
// file, for stats.json and both cards alike (NewPlan computes it once):
// anonymize's Policy.Digest, keyed with the build's HMAC key, so that
// whoever holds the key can check which policy built the corpus. Empty
// for a NoAnonymize build, and when the key is the public demo key and
// the policy came from a file: a digest under a public key would let
// anyone confirm a guessed name in the policy (the sample's and the
// default policies are public).
func (p *Plan) policyDigest() (string, error) {
	if p.cfg.NoAnonymize || p.key == nil || bytes.Equal(p.key, demoKey) && p.cfg.PolicyFile != "" {
		return "", nil
	}
	return p.policy.Digest(p.key)
}
