// Package ner finds person names, places below country level,
// organisations and street addresses in free text, with a small
// statistical model that runs in-process: a greedy averaged-perceptron
// sequence labeller over hashed token features (word, shape, affixes,
// neighbouring words, gazetteer hits, previous labels).
//
// # Contract
//
//   - Find never panics, on any input, valid UTF-8 or not.
//   - Spans are byte offsets into the text passed in: 0 <= Start < End <=
//     len(text), each on token boundaries, sorted by Start and
//     non-overlapping.
//   - Find appends to dst and returns it; with a dst of enough capacity
//     it does not allocate. A *Model is safe for concurrent use.
//   - Titles ("Dr.", "Mrs.") are not part of a person span; a street
//     address span covers house number, street name and type, and a unit
//     ("Apt 4B") that follows; the city and state after it are separate
//     location spans; countries are not locations (they identify no one).
//   - The model is deterministic: the same bytes give the same spans.
//
// The weights (model.bin) and the gazetteers (data/) are embedded and
// loaded once, on the first call to Default. They are rebuilt by
//
//	go run ./content/ner/cmd/gazetteer -src /path/to/pii -out content/ner/data
//	go run ./content/ner/cmd/gen -seed 1 -out /tmp/ner
//	go run ./content/ner/cmd/train -data /tmp/ner -out content/ner/model.bin
//
// (make ner-train); make ner-eval scores them on the held-out files in
// testdata/. The gazetteers contain data from GeoNames (geonames.org),
// CC-BY-4.0; see NOTICE.
package ner
