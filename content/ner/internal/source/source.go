// Package source reads the gazetteer source files of ../shared/data/pii
// (CSV with a header row) for the name model's build commands.
package source

import (
	"encoding/csv"
	"fmt"
	"os"
)

// ReadCSV returns the rows of the CSV file at path, without its header.
// Rows may differ in length and quotes are read leniently, as the sources
// are written by many hands.
func ReadCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	return rows[1:], nil
}
