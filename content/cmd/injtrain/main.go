// Command injtrain trains the prompt-injection classifier (package
// content/inject) and writes its weights:
//
//	go run ./content/cmd/injtrain -data ../shared/data/injection-train.jsonl,... -out content/inject/model.bin
//
// It reads the labelled rows of every -data file (path@w weighs a file's
// rows by w: the development set, closest to real direct injections,
// counts three times), trains on the rows of
// the train split, fits Platt scaling on the calib split and prints the
// thresholds that keep benign false positives on the calib split at 1, 2
// and 5%. Held-out rows are dropped unread (make injection-eval scores
// them). The seed fixes the shuffle: the same data and flags write the
// same bytes.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"

	"github.com/wardenhq/warden/content"
	"github.com/wardenhq/warden/content/inject"
	"github.com/wardenhq/warden/content/inject/injdata"
)

func main() {
	data := flag.String("data", "../shared/data/injection-train.jsonl,../shared/data/injection-dev.jsonl@3,content/testdata/injection/train.jsonl,content/testdata/injection/calib.jsonl,content/testdata/injection/hand.jsonl", "comma-separated JSON-lines files of labelled texts")
	out := flag.String("out", "content/inject/model.bin", "where to write the weights")
	seed := flag.Uint64("seed", 1, "random seed of the shuffle")
	bits := flag.Uint("bits", 18, "log2 of the number of hashed n-gram buckets")
	epochs := flag.Int("epochs", 6, "passes over the training split")
	rate := flag.Float64("rate", 0.2, "AdaGrad learning rate")
	l2 := flag.Float64("l2", 1e-5, "L2 weight decay")
	share := flag.Float64("attack-share", 0.4, "the share of the loss the attacks carry (the rest: benign texts)")
	flag.Parse()
	if err := run(*data, *out, *seed, uint8(*bits), *epochs, *rate, *l2, *share); err != nil {
		fmt.Fprintln(os.Stderr, "injtrain:", err)
		os.Exit(1)
	}
}

// Text prepares a row's text as the classifier sees it.
func text(s string) inject.Text {
	raw := []byte(s)
	clean, n := content.Sanitize(raw)
	return inject.Text{Raw: raw, Clean: clean, Removed: n}
}

func run(data, out string, seed uint64, bits uint8, epochs int, rate, l2, share float64) error {
	rows, err := injdata.ReadAll(data)
	if err != nil {
		return err
	}
	var train, cal []injdata.Row
	for _, r := range rows {
		switch r.Split {
		case "train":
			train = append(train, r)
		case "calib":
			cal = append(cal, r)
		}
	}
	var pos, neg float64
	for _, r := range train {
		if r.Injection {
			pos += r.Weight
		} else {
			neg += r.Weight
		}
	}
	fmt.Printf("train: %d rows (%d attacks), calib: %d rows\n", len(train), int(pos), len(cal))
	ex := make([]inject.Example, len(train))
	parallel(len(train), func(i int) {
		ex[i] = inject.Features(text(train[i].Text), bits)
		ex[i].Label = train[i].Injection
		// Class weights: the attacks carry share of the loss.
		if ex[i].Label {
			ex[i].Weight = share * (pos + neg) / pos
		} else {
			ex[i].Weight = (1 - share) * (pos + neg) / neg
		}
		ex[i].Weight *= train[i].Weight
	})
	m := inject.Train(ex, inject.TrainOptions{Bits: bits, Epochs: epochs, Seed: seed, Rate: rate, L2: l2, Logf: func(f string, a ...any) { fmt.Printf(f+"\n", a...) }})
	z := make([]float64, len(cal))
	labels := make([]bool, len(cal))
	parallel(len(cal), func(i int) {
		z[i] = m.Logit(text(cal[i].Text))
		labels[i] = cal[i].Injection
	})
	m.Calibrate(z, labels)
	var benign []float64
	for i, l := range labels {
		if !l {
			benign = append(benign, m.Prob(z[i]))
		}
	}
	sort.Float64s(benign)
	for _, fp := range []float64{0.01, 0.02, 0.05} {
		k := int(float64(len(benign)) * (1 - fp))
		fmt.Printf("calib: benign false positives %.0f%% from p >= %.3f\n", 100*fp, benign[min(k, len(benign)-1)])
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d bytes\n", out, buf.Len())
	return os.WriteFile(out, buf.Bytes(), 0o644)
}

// parallel runs f(0..n-1) on every CPU; each f writes only its own
// index, so the result does not depend on scheduling.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				f(i)
			}
		}()
	}
	wg.Wait()
}
