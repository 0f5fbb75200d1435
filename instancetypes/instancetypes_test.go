package instancetypes

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
)

// The EKS user guide's examples of nodeadm's default maxPods.
func TestLookup_ENIMaxPodsMatchesNodeadm(t *testing.T) {
	for typ, want := range map[string]int{"t3.small": 11, "t3.medium": 17, "m5.large": 29} {
		i, ok := Lookup(typ)
		if !ok {
			t.Errorf("%s not found", typ)
			continue
		}
		if i.ENIMaxPods != want || i.ENIMaxPods != i.ENIs*(i.IPv4PerENI-1)+2 || i.Type != typ {
			t.Errorf("%s = %+v, want ENIMaxPods %d", typ, i, want)
		}
	}
}

func TestLookup_UnknownTypeIsNotFound(t *testing.T) {
	if i, ok := Lookup("m5.huge"); ok {
		t.Errorf("Lookup(m5.huge) = %+v, true", i)
	}
}

func TestTypes_ListsTheWholeTableSorted(t *testing.T) {
	types := Types()
	if len(types) != 1384 {
		t.Errorf("%d instance types, want the table's 1384", len(types))
	}
	if !slices.IsSorted(types) {
		t.Error("Types() is not sorted")
	}
	for _, typ := range types {
		if i, ok := Lookup(typ); !ok || i.ENIs < 1 || i.IPv4PerENI < 1 {
			t.Errorf("%s: %+v, %v", typ, i, ok)
		}
	}
	types[0] = "changed"
	if Types()[0] == "changed" {
		t.Error("Types() shares its slice with the table")
	}
}

func TestArchitectureOf_ClassifiesByTheProcessorLetter(t *testing.T) {
	for typ, want := range map[string]Architecture{
		"t3.medium":        X86_64,
		"m5.large":         X86_64,
		"m6a.large":        X86_64, // a: AMD
		"c7i-flex.large":   X86_64, // i: Intel; the dash suffix is not an attribute letter
		"g4dn.xlarge":      X86_64, // the series letter g (graphics) is not the processor
		"g5g.xlarge":       ARM64,  // ... but the attribute g is
		"m6g.large":        ARM64,
		"c7gn.large":       ARM64,
		"im4gn.large":      ARM64,
		"is4gen.large":     ARM64,
		"hpc7g.4xlarge":    ARM64,
		"a1.large":         ARM64, // the first Graviton predates the convention
		"x8aedz.large":     X86_64,
		"mac1.metal":       X86_64Mac,
		"mac2.metal":       ARM64Mac,
		"mac2-m2pro.metal": ARM64Mac,
		"mac-m4.metal":     ARM64Mac,
	} {
		if got := ArchitectureOf(typ); got != want {
			t.Errorf("ArchitectureOf(%q) = %s, want %s", typ, got, want)
		}
	}
}

// TestArchitectureOf_AgreesWithEC2OverTheWholeTable checks the classification of every type of
// the table against EC2's DescribeInstanceTypes data as eksctl v0.215.0 recorded it
// (testdata/eksctl-v0.215.0-cpuarch.txt). eksctl knows 908 of the 1,384 types; for the others
// the test requires that their family has a member eksctl knows, so the classification is
// cross-checked family by family, and it lists the families nothing checks (newer than
// eksctl's data) so that a reviewer sees exactly what rests on the naming convention alone.
func TestArchitectureOf_AgreesWithEC2OverTheWholeTable(t *testing.T) {
	ec2 := readEksctlArchitectures(t)
	if len(ec2) != 908 {
		t.Fatalf("testdata has %d types, want 908", len(ec2))
	}
	familyArch := map[string]Architecture{}
	for typ, arch := range ec2 {
		family, _, _ := strings.Cut(typ, ".")
		if prev, seen := familyArch[family]; seen && prev != arch {
			t.Fatalf("EC2 data mixes architectures in family %s", family)
		}
		familyArch[family] = arch
		if got := ArchitectureOf(typ); got != arch {
			t.Errorf("ArchitectureOf(%q) = %s, EC2 says %s", typ, got, arch)
		}
	}
	var byFamily, unchecked int
	uncheckedFamilies := map[string]bool{}
	for _, typ := range Types() {
		if _, ok := ec2[typ]; ok {
			continue
		}
		family, _, _ := strings.Cut(typ, ".")
		arch, ok := familyArch[family]
		if !ok {
			unchecked++
			uncheckedFamilies[family] = true
			continue
		}
		byFamily++
		if got := ArchitectureOf(typ); got != arch {
			t.Errorf("ArchitectureOf(%q) = %s, EC2 says its family %s is %s", typ, got, family, arch)
		}
	}
	// Families newer than eksctl's data: the naming convention alone classifies them. The
	// expected list makes a table update that adds families show up here for review.
	want := strings.Fields(`bmn-sf1 c8a c8gb c8i c8i-flex c8ib c8id c8in c8ine c9g c9gd cr1 g7 g7e hpc8a hs1
		m8a m8azn m8gb m8gn m8ib m8id m8idb m8idn m8in m8ine m9g m9gd mac-m3ultra mac-m4 mac-m4max
		mac-m4pro mac1 mac2 mac2-m1ultra mac2-m2 mac2-m2pro p6-b300 r8a r8ib r8id r8idb r8idn r8in
		u-12tb1 u-18tb1 u-24tb1 u-9tb1 x8aedz x8i`)
	got := make([]string, 0, len(uncheckedFamilies))
	for f := range uncheckedFamilies {
		got = append(got, f)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("families without EC2 data = %v\nwant %v", got, want)
	}
	if 908+byFamily+unchecked != 1384 {
		t.Errorf("checked %d by type, %d by family, %d unchecked: not the table's 1384", 908, byFamily, unchecked)
	}
	t.Logf("architecture cross-checked: %d types directly, %d by family, %d in %d families by naming only",
		len(ec2), byFamily, unchecked, len(want))
}

func TestLookup_CarriesTheArchitecture(t *testing.T) {
	for _, typ := range Types() {
		i, _ := Lookup(typ)
		if i.Architecture != ArchitectureOf(typ) {
			t.Errorf("%s: Architecture %s, ArchitectureOf says %s", typ, i.Architecture, ArchitectureOf(typ))
		}
	}
	counts := map[Architecture]int{}
	for _, typ := range Types() {
		i, _ := Lookup(typ)
		counts[i.Architecture]++
	}
	if counts[X86_64] == 0 || counts[ARM64] == 0 || counts[X86_64Mac] == 0 || counts[ARM64Mac] == 0 {
		t.Errorf("architecture counts %v: every architecture should occur in the table", counts)
	}
	t.Logf("architectures over the table: %v", counts)
}

func readEksctlArchitectures(t *testing.T) map[string]Architecture {
	t.Helper()
	f, err := os.Open("testdata/eksctl-v0.215.0-cpuarch.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]Architecture{}
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		typ, arch, ok := strings.Cut(line, " ")
		if !ok {
			t.Fatalf("bad testdata line %q", line)
		}
		switch arch {
		case "x86-64":
			out[typ] = X86_64
		case "arm64":
			out[typ] = ARM64
		default:
			t.Fatalf("testdata: unknown architecture %q for %s", arch, typ)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
