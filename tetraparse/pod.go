package tetraparse

import (
	"slices"
	"strings"

	"github.com/tetrahids/tetrahids/internal/pyjson"
)

// Pod is the Kubernetes metadata Tetragon attaches to a process
// (process.pod), as far as Selector reads it. Tetragon writes it when it
// runs with its Kubernetes integration; the reference writes none of it to
// the raw table.
type Pod struct {
	// Namespace and Name are the pod's Kubernetes namespace and name.
	Namespace, Name string
	// ContainerID is pod.container.id as written, with the runtime's
	// prefix, such as "containerd://551e161c…".
	ContainerID string
	// Labels are pod.pod_labels in input order.
	Labels []PodLabel
}

// PodLabel is one Kubernetes label of a pod.
type PodLabel struct {
	// Key and Value are the label's name and value, such as "app" and
	// "web".
	Key, Value string
}

// Label returns the value of the label key; with a key written twice the
// last one counts, as in a JSON object read by Python or protojson's map.
func (p *Pod) Label(key string) (string, bool) {
	for i := len(p.Labels) - 1; i >= 0; i-- {
		if p.Labels[i].Key == key {
			return p.Labels[i].Value, true
		}
	}
	return "", false
}

// k8s decodes the pod and docker members of a process block (node -1:
// absent). Values of the wrong type read as absent: the raw table has no
// column for them, so they count as no field error; a selector that needs
// them does not match.
func (d *decoder) k8s(p *Process, pod, docker int32, slot int) {
	doc := &d.doc
	if docker >= 0 && doc.Nodes[docker].Kind == pyjson.String {
		p.Docker = some(d.str(docker))
	}
	if pod < 0 || doc.Nodes[pod].Kind != pyjson.Object {
		return
	}
	labels := d.labelBufs[slot][:0]
	var v Pod
	d.members(pod, func(key string, n int32) {
		switch key {
		case "namespace":
			v.Namespace = d.plain(n)
		case "name":
			v.Name = d.plain(n)
		case "container":
			if doc.Nodes[n].Kind == pyjson.Object {
				v.ContainerID = ""
				if id := doc.Get(n, "id"); id >= 0 {
					v.ContainerID = d.plain(id)
				}
			}
		case "pod_labels":
			labels = labels[:0]
			d.members(n, func(k string, lv int32) {
				if doc.Nodes[lv].Kind == pyjson.String {
					labels = append(labels, PodLabel{Key: d.keyString(k), Value: d.str(lv)})
				}
			})
		}
	})
	v.Labels = labels
	d.labelBufs[slot] = labels
	p.Pod = some(v)
}

// plain returns a string node's value, "" for any other kind.
func (d *decoder) plain(n int32) string {
	if d.doc.Nodes[n].Kind != pyjson.String {
		return ""
	}
	return d.str(n)
}

// keyString returns a member key (which views the line unless it was
// escaped) under the decoder's copy rule, as str does for values.
func (d *decoder) keyString(k string) string {
	if d.copy {
		return strings.Clone(k)
	}
	return k
}

// ownK8s makes the pod strings of a cached process block its own (they
// may view the line they were decoded from).
func ownK8s(p *Process) {
	p.Docker.Value = strings.Clone(p.Docker.Value)
	v := &p.Pod.Value
	v.Namespace, v.Name, v.ContainerID = strings.Clone(v.Namespace), strings.Clone(v.Name), strings.Clone(v.ContainerID)
	v.Labels = slices.Clone(v.Labels)
	for i := range v.Labels {
		v.Labels[i].Key, v.Labels[i].Value = strings.Clone(v.Labels[i].Key), strings.Clone(v.Labels[i].Value)
	}
}
