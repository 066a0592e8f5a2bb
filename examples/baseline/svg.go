package main

import (
	"bytes"
	"cmp"
	"fmt"
	"html"
	"math"
	"slices"

	"github.com/tetrahids/tetrahids/labels/eval"
)

// The charts are small SVG documents drawn here with the standard
// library, so that the module needs no plotting dependency.

const (
	svgFont = `font-family="Helvetica, Arial, sans-serif"`
	axisCol = "#444"
	gridCol = "#ddd"
	lineCol = "#1f77b4"
	warnCol = "#d62728"
)

type svgDoc struct{ bytes.Buffer }

func newSVG(w, h int) *svgDoc {
	d := &svgDoc{}
	fmt.Fprintf(d, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" %s font-size="12">`+"\n", w, h, w, h, svgFont)
	fmt.Fprintf(d, `<rect width="%d" height="%d" fill="white"/>`+"\n", w, h)
	return d
}

func (d *svgDoc) text(x, y float64, anchor, style, s string) {
	fmt.Fprintf(d, `<text x="%.1f" y="%.1f" text-anchor="%s" %s>%s</text>`+"\n", x, y, anchor, style, html.EscapeString(s))
}

func (d *svgDoc) line(x1, y1, x2, y2 float64, stroke, extra string) {
	fmt.Fprintf(d, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" %s/>`+"\n", x1, y1, x2, y2, stroke, extra)
}

func (d *svgDoc) close() []byte {
	d.WriteString("</svg>\n")
	return d.Bytes()
}

// rocSVG draws the ROC curve with the chance diagonal, the AUROC and the
// operating point at 1 % FPR.
func rocSVG(c eval.Curve, rep eval.Report, model string) []byte {
	const w, h, left, right, top, bottom = 560, 520, 70, 30, 60, 60
	pw, ph := float64(w-left-right), float64(h-top-bottom)
	px := func(f float64) float64 { return left + f*pw }
	py := func(t float64) float64 { return top + (1-t)*ph }
	d := newSVG(w, h)
	d.text(w/2, 28, "middle", `font-size="16" font-weight="bold"`, fmt.Sprintf("%s: per-event ROC curve", model))
	d.text(w/2, 46, "middle", `fill="#555"`, fmt.Sprintf("AUROC %.4f, AP %.4f, %d events (%d attack)", rep.AUROC, rep.AP, rep.TestEvents, rep.AttackEvents))
	for i := 0; i <= 10; i += 2 {
		v := float64(i) / 10
		d.line(px(v), py(0), px(v), py(1), gridCol, "")
		d.line(px(0), py(v), px(1), py(v), gridCol, "")
		d.text(px(v), py(0)+18, "middle", "", fmt.Sprintf("%.1f", v))
		d.text(px(0)-8, py(v)+4, "end", "", fmt.Sprintf("%.1f", v))
	}
	d.line(px(0), py(0), px(1), py(1), "#999", `stroke-dasharray="4 4"`)
	fmt.Fprintf(d, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="%s"/>`+"\n", left, top, pw, ph, axisCol)
	// The curve, thinned to points at least half a pixel apart.
	var pts bytes.Buffer
	lx, ly := math.Inf(-1), math.Inf(-1)
	for i := range c.FPR {
		x, y := px(c.FPR[i]), py(c.TPR[i])
		if i == len(c.FPR)-1 || math.Abs(x-lx) >= 0.5 || math.Abs(y-ly) >= 0.5 {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x, y)
			lx, ly = x, y
		}
	}
	fmt.Fprintf(d, `<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>`+"\n", lineCol, bytes.TrimSpace(pts.Bytes()))
	tpr := c.TPRAt(eval.ReferenceTargetFPR)
	fmt.Fprintf(d, `<circle cx="%.1f" cy="%.1f" r="4" fill="%s"/>`+"\n", px(eval.ReferenceTargetFPR), py(tpr), warnCol)
	d.text(px(eval.ReferenceTargetFPR)+8, py(tpr)-8, "start", fmt.Sprintf(`fill="%s"`, warnCol), fmt.Sprintf("TPR %.3f at 1 %% FPR", tpr))
	d.text(px(0.5), h-18, "middle", "", "false positive rate")
	fmt.Fprintf(d, `<text transform="translate(20 %.1f) rotate(-90)" text-anchor="middle">true positive rate</text>`+"\n", py(0.5))
	return d.close()
}

// techniqueSVG draws one bar per technique, by attack events (most
// first), with the chance line; techniques below the reference's minimum
// of attack events are listed without a bar.
func techniqueSVG(rows []eval.TechniqueResult, model string) []byte {
	rows = slices.Clone(rows)
	slices.SortStableFunc(rows, func(a, b eval.TechniqueResult) int {
		return cmp.Or(cmp.Compare(b.AttackEvents, a.AttackEvents), cmp.Compare(a.TechniqueID, b.TechniqueID))
	})
	const w, left, right, top, rowH = 720, 220, 60, 84, 22
	h := top + rowH*max(len(rows), 1) + 50
	pw := float64(w - left - right)
	px := func(a float64) float64 { return left + a*pw }
	d := newSVG(w, h)
	d.text(w/2, 28, "middle", `font-size="16" font-weight="bold"`, fmt.Sprintf("%s: per-technique AUROC", model))
	d.text(w/2, 46, "middle", `fill="#555"`, fmt.Sprintf("all benign events against each technique's attack events; grey: fewer than %d attack events", eval.ReferenceMinAttackEvents))
	bottom := float64(top + rowH*max(len(rows), 1))
	for i := 0; i <= 10; i += 2 {
		v := float64(i) / 10
		d.line(px(v), top-4, px(v), bottom, gridCol, "")
		d.text(px(v), bottom+16, "middle", "", fmt.Sprintf("%.1f", v))
	}
	for i, r := range rows {
		y := float64(top + i*rowH)
		label := fmt.Sprintf("%s (%d)", r.TechniqueID, r.AttackEvents)
		if r.Skipped || math.IsNaN(r.AUROC) {
			d.text(left-8, y+15, "end", `fill="#999"`, label)
			d.text(px(0)+6, y+15, "start", `fill="#999"`, "skipped")
			continue
		}
		d.text(left-8, y+15, "end", "", label)
		col := lineCol
		if r.AUROC < 0.5 {
			col = warnCol
		}
		fmt.Fprintf(d, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s"/>`+"\n", px(0), y+4, r.AUROC*pw, rowH-6, col)
		d.text(px(r.AUROC)+6, y+15, "start", "", fmt.Sprintf("%.3f", r.AUROC))
	}
	d.line(px(0.5), top-4, px(0.5), bottom, axisCol, `stroke-dasharray="4 4"`)
	d.text(px(0.5), top-8, "middle", `fill="#555"`, "chance")
	d.text(px(0.5), bottom+36, "middle", "", "AUROC (attack events in parentheses)")
	return d.close()
}
