package corpus_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/tetrahids/tetrahids/corpus"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// Build the built-in synthetic sample (6,000 events) into a temporary
// directory: anonymized, split at the sample's cut, labelled.
func Example() {
	dir, err := os.MkdirTemp("", "corpus-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	res, err := corpus.Build(context.Background(), corpus.Config{
		Sample: true,
		Out:    filepath.Join(dir, "out"),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("lines read:", res.Lines, "anonymized:", res.Anonymized)
	for _, s := range res.Splits {
		fmt.Printf("%s: %d rows in %s\n", s.Name, s.Rows, filepath.Base(s.Shards[0]))
	}
	// README.md is the dataset card, Hub metadata first. Keyed with the
	// public demo key, the sample says it is not a release.
	readme, err := os.ReadFile(filepath.Join(res.Out, "README.md"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Join(strings.SplitN(string(readme), "\n", 3)[:2], "\n"))
	fmt.Println("not a release:", strings.Contains(string(readme), "\n**NOT A RELEASE.**"))
	// Output:
	// lines read: 6000 anonymized: true
	// train: 4064 rows in train-00000-of-00001.parquet
	// test: 1801 rows in test-00000-of-00001.parquet
	// ---
	// license: cc-by-4.0
	// not a release: true
}

// Drive the stages one by one, as a runner that partitions the work does:
// one day of a host's export is train, the next test. The train day is
// parsed into the host's lineage graph first, so that it seeds the test
// day; each split is then encoded, labelled and written with the
// configuration Build would use. (The two days were made with
// `go run ./examples/synth -seed 3 -events 400 -rotate 200`.)
func ExamplePlan() {
	ctx := context.Background()
	plan, err := corpus.NewPlan(corpus.Config{NoAnonymize: true})
	if err != nil {
		log.Fatal(err)
	}
	days := map[string][]string{
		corpus.SplitTrain: {"testdata/day1.json.gz"},
		corpus.SplitTest:  {"testdata/day2.json.gz"},
	}
	splits := []string{corpus.SplitTrain, corpus.SplitTest}

	// Parse and lineage: train rows before test rows.
	g := lineage.New()
	raw := map[string][]arrow.RecordBatch{}
	for _, split := range splits {
		parser, err := tetraparse.New(plan.ParserConfig())
		if err != nil {
			log.Fatal(err)
		}
		for rec, err := range corpus.Parse(ctx, parser, days[split], g) {
			if err != nil {
				log.Fatal(err)
			}
			rec.Retain()
			raw[split] = append(raw[split], rec)
		}
	}

	// Encode, label, write, and count for the datacard.
	dir, err := os.MkdirTemp("", "corpus-stages-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	card := plan.NewCard(splits...)
	for _, split := range splits {
		enc, err := plan.NewEncoder(g)
		if err != nil {
			log.Fatal(err)
		}
		w := plan.NewShardWriter(dir, split)
		for _, rec := range raw[split] {
			out, err := enc.Encode(rec)
			rec.Release()
			if err == nil {
				out, err = plan.Label(out)
			}
			if err == nil {
				err = card.Add(split, out)
			}
			if err == nil {
				err = w.Write(out)
			}
			if err != nil {
				log.Fatal(err)
			}
			out.Release()
		}
		enc.ForgetBatch()
		paths, err := w.Close()
		if err == nil {
			err = card.AddShards(split, paths)
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d rows in %s\n", split, w.Rows(), filepath.Base(paths[0]))
	}
	f, err := os.Create(filepath.Join(dir, "datacard.md"))
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	err = card.WriteMarkdown(f, corpus.CardInfo{Built: time.Now(), Inputs: "two days of one host", SplitRule: "One day is train, the next test."})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("processes in the graph:", g.Len())
	// Output:
	// train: 198 rows in train-00000-of-00001.parquet
	// test: 193 rows in test-00000-of-00001.parquet
	// processes in the graph: 18
}
