package ipplan

import (
	"slices"
	"testing"
)

// The EKS user guide's examples of nodeadm's default maxPods.
func TestLookupInstance_ENIMaxPodsMatchesNodeadm(t *testing.T) {
	for typ, want := range map[string]int{"t3.small": 11, "t3.medium": 17, "m5.large": 29} {
		l, ok := LookupInstance(typ)
		if !ok {
			t.Errorf("%s not found", typ)
			continue
		}
		if l.ENIMaxPods != want || l.ENIMaxPods != l.ENIs*(l.IPv4PerENI-1)+2 || l.Type != typ {
			t.Errorf("%s = %+v, want ENIMaxPods %d", typ, l, want)
		}
	}
}

func TestLookupInstance_UnknownTypeIsNotFound(t *testing.T) {
	if l, ok := LookupInstance("m5.huge"); ok {
		t.Errorf("LookupInstance(m5.huge) = %+v, true", l)
	}
}

func TestInstanceTypes_ListsTheWholeTableSorted(t *testing.T) {
	types := InstanceTypes()
	if len(types) != 1384 {
		t.Errorf("%d instance types, want the table's 1384", len(types))
	}
	if !slices.IsSorted(types) {
		t.Error("InstanceTypes() is not sorted")
	}
	for _, typ := range types {
		if l, ok := LookupInstance(typ); !ok || l.ENIs < 1 || l.IPv4PerENI < 1 {
			t.Errorf("%s: %+v, %v", typ, l, ok)
		}
	}
	types[0] = "changed"
	if InstanceTypes()[0] == "changed" {
		t.Error("InstanceTypes() shares its slice with the table")
	}
}
