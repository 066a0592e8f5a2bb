package baseline

import (
	"math"
)

// An n-gram model's payload:
//
//	alpha, backoff                    float64
//	V                                 uvarint, then V tokens (strings), strictly increasing
//	unigram counts                    V uvarints
//	bigrams                           uvarint count, then (p1, w, count) uvarints, keys increasing
//	trigrams                          uvarint count, then (p2, p1, w, count) uvarints, keys increasing
//	diagnostics                       7 uvarints (events, processes, vocabulary, unique trigrams,
//	                                  unique bigrams, trigram and bigram positions), then
//	                                  perplexity and the trigram, bigram and unigram rates (float64)
//	quantiles                         uvarint count, then (level, score) float64 pairs

func (m *Ngram) encode() []byte {
	var e enc
	e.float(m.alpha)
	e.float(m.backoff)
	v := len(m.vocab)
	e.uvarint(uint64(v))
	for _, t := range m.vocab {
		e.str(t)
	}
	for _, c := range m.uni[:v] {
		e.uvarint(c)
	}
	e.uvarint(uint64(len(m.biKeys)))
	for i, k := range m.biKeys {
		e.uvarint(k >> codeBits)
		e.uvarint(k & (1<<codeBits - 1))
		e.uvarint(m.biCounts[i])
	}
	e.uvarint(uint64(len(m.triKeys)))
	for i, k := range m.triKeys {
		e.uvarint(k >> (2 * codeBits))
		e.uvarint(k >> codeBits & (1<<codeBits - 1))
		e.uvarint(k & (1<<codeBits - 1))
		e.uvarint(m.triCounts[i])
	}
	d := m.diag
	for _, x := range []int{d.TrainEvents, d.Processes, d.VocabSize, d.UniqueTrigrams, d.UniqueBigrams, d.TrigramPositions, d.BigramPositions} {
		e.uvarint(uint64(x))
	}
	e.float(d.TrainPerplexity)
	for _, lv := range []string{"trigram", "bigram", "unigram"} {
		e.float(d.BackoffRates[lv])
	}
	encodeQuantiles(&e, m.quant)
	return e.b
}

func decodeNgram(payload []byte) (*Ngram, error) {
	d := &dec{b: payload, base: headerSize}
	m := &Ngram{alpha: d.float(), backoff: d.float()}
	if d.err == nil && (!(m.alpha > 0) || math.IsInf(m.alpha, 0) || !(m.backoff > 0 && m.backoff <= 1)) {
		d.fail("alpha %v, backoff %v", m.alpha, m.backoff)
	}
	v := d.count("token", 1)
	if d.err == nil && v > maxVocab {
		d.fail("%d tokens", v)
	}
	m.vocab = make([]string, 0, v)
	for range v {
		t := d.str()
		if d.err == nil && len(m.vocab) > 0 && t <= m.vocab[len(m.vocab)-1] {
			d.fail("vocabulary out of order")
		}
		m.vocab = append(m.vocab, t)
	}
	m.uni = make([]uint64, 0, v+1)
	var sum uint64
	for range v {
		c := d.uvarint()
		if d.err == nil && (c == 0 || sum+c < sum) {
			d.fail("unigram count %d", c)
		}
		sum += c
		m.uni = append(m.uni, c)
	}
	m.uni = append(m.uni, 0)
	m.nTotal = sum
	codeOK := func(c uint64) bool { return c < uint64(v) }
	nb := d.count("bigram", 3)
	m.biKeys, m.biCounts = make([]uint64, 0, nb), make([]uint64, 0, nb)
	for range nb {
		p1, w, c := d.uvarint(), d.uvarint(), d.uvarint()
		k := p1<<codeBits | w
		if d.err == nil && (!codeOK(p1) || !codeOK(w) || c == 0 || len(m.biKeys) > 0 && k <= m.biKeys[len(m.biKeys)-1]) {
			d.fail("bigram (%d, %d) count %d", p1, w, c)
		}
		m.biKeys, m.biCounts = append(m.biKeys, k), append(m.biCounts, c)
	}
	nt := d.count("trigram", 4)
	m.triKeys, m.triCounts = make([]uint64, 0, nt), make([]uint64, 0, nt)
	for range nt {
		p2, p1, w, c := d.uvarint(), d.uvarint(), d.uvarint(), d.uvarint()
		k := p2<<(2*codeBits) | p1<<codeBits | w
		if d.err == nil && (!codeOK(p2) || !codeOK(p1) || !codeOK(w) || c == 0 || len(m.triKeys) > 0 && k <= m.triKeys[len(m.triKeys)-1]) {
			d.fail("trigram (%d, %d, %d) count %d", p2, p1, w, c)
		}
		m.triKeys, m.triCounts = append(m.triKeys, k), append(m.triCounts, c)
	}
	var ints [7]int
	for i := range ints {
		x := d.uvarint()
		if d.err == nil && x > math.MaxInt32*uint64(1<<16) {
			d.fail("diagnostic count %d", x)
		}
		ints[i] = int(x)
	}
	m.diag = NgramDiagnostics{
		TrainEvents: ints[0], Processes: ints[1], VocabSize: ints[2], UniqueTrigrams: ints[3],
		UniqueBigrams: ints[4], TrigramPositions: ints[5], BigramPositions: ints[6],
		TrainPerplexity: d.float(),
	}
	m.diag.BackoffRates = map[string]float64{"trigram": d.float(), "bigram": d.float(), "unigram": d.float()}
	m.quant = decodeQuantiles(d)
	if err := d.finish(); err != nil {
		return nil, err
	}
	if v == 0 {
		return nil, &FormatError{Offset: headerSize, Err: ErrNoTraining}
	}
	m.buildTables()
	m.id = modelID(payload)
	return m, nil
}
