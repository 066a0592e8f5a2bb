package synth_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/synth"
	"github.com/tetrahids/tetrahids/tetraparse"
)

func TestDeterministicAndParseable(t *testing.T) {
	gen := func(seed uint64) []byte {
		var b bytes.Buffer
		_, err := synth.New(synth.Config{Seed: seed, Events: 5000}).WriteTo(&b)
		require.NoError(t, err)
		return b.Bytes()
	}
	a, b := gen(7), gen(7)
	require.Equal(t, a, b, "same seed, same bytes")
	require.NotEqual(t, a, gen(8))
	p, err := tetraparse.New(tetraparse.Config{TargetInums: []uint64{4026533329, 4026533387}})
	require.NoError(t, err)
	rows := 0
	for rec, err := range p.Records(bytes.NewReader(a), "synth.json") {
		require.NoError(t, err)
		rows += int(rec.NumRows())
	}
	st := p.Stats()
	require.NoError(t, st.Check())
	require.EqualValues(t, 5000, st.LinesRead)
	require.Zero(t, st.JSONErrors)
	require.Zero(t, st.StructureErrors)
	require.Zero(t, st.FieldErrors)
	require.Positive(t, st.DroppedBy(tetraparse.DropHostNamespace), "host noise")
	require.Positive(t, st.ProcfsWalkTagged)
	require.Positive(t, st.KeptBy(tetraparse.KindExit))
	require.Greater(t, rows, 4500)
}
