package deflate

import "testing"

// benchInputs returns inputs of roughly the given size from the realistic
// generator, so throughput reflects command-line-like data.
func benchInputs(size int) [][]byte {
	var out [][]byte
	for _, b := range realisticInputs(4000, 7) {
		if len(b) >= size {
			out = append(out, b[:size])
			if len(out) == 64 {
				break
			}
		}
	}
	return out
}

func BenchmarkGzipLen(b *testing.B) {
	for _, bc := range []struct {
		name string
		size int
	}{{"cmd300", 300}, {"4KB", 4096}} {
		inputs := benchInputs(bc.size)
		b.Run(bc.name+"/Sizer", func(b *testing.B) {
			var s Sizer
			b.SetBytes(int64(bc.size))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				s.GzipLen(inputs[i%len(inputs)])
				i++
			}
		})
		b.Run(bc.name+"/pool", func(b *testing.B) {
			b.SetBytes(int64(bc.size))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				GzipLen(inputs[i%len(inputs)])
				i++
			}
		})
	}
}
