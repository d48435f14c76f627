// Command train fits the name model on the JSONL files of a directory and
// writes its weights, deterministically (same data and flags, same bytes).
//
//	go run ./content/ner/cmd/train -data /tmp/ner -out content/ner/model.bin
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/wardenhq/warden/content/ner"
)

func main() {
	data := flag.String("data", "", "directory of training *.jsonl files")
	out := flag.String("out", "content/ner/model.bin", "weights file to write")
	bits := flag.Uint("bits", 18, "log2 of the hashed weight table's rows")
	epochs := flag.Int("epochs", 6, "training passes")
	seed := flag.Uint64("seed", 1, "shuffling seed")
	flag.Parse()
	if *data == "" {
		log.Fatal("train: -data is required")
	}
	docs, err := ner.ReadDir(*data)
	if err != nil {
		log.Fatal(err)
	}
	g, err := ner.DefaultGazetteer()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("training on %d texts\n", len(docs))
	m := ner.Train(docs, g, ner.TrainOptions{Bits: uint8(*bits), Epochs: *epochs, Seed: *seed, Logf: log.Printf})
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := m.WriteTo(f); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	fi, _ := os.Stat(*out)
	fmt.Printf("%s: %d bytes\n", *out, fi.Size())
}
