package stackconfig

import (
	"reflect"
	"testing"
)

// TestDefaults_EveryTagParses reads the `default` tag of every field of the configuration,
// so that a tag that does not parse as its field's type fails here, not in a user's program.
func TestDefaults_EveryTagParses(t *testing.T) {
	seen := map[reflect.Type]bool{}
	tags := 0
	var visit func(reflect.Type)
	visit = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] {
			return
		}
		seen[typ] = true
		for i := range typ.NumField() {
			f := typ.Field(i)
			if _, ok := f.Tag.Lookup("default"); ok {
				tags++
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("%s.%s: %v", typ.Name(), f.Name, r)
						}
					}()
					DefaultOf(f)
				}()
			}
			visit(f.Type)
		}
	}
	visit(reflect.TypeFor[Config]())
	if tags < 20 {
		t.Errorf("found %d default tags; the configuration declares more", tags)
	}
}

func TestDefault_AppliesNestedDefaultsAndLeavesListsAndPointersEmpty(t *testing.T) {
	np := Default[NodePoolConfig]()
	if np.MinInstance.Cpu != 2 || np.MinInstance.Memory != "4Gi" || np.AmiFamily != "AL2023" || !reflect.DeepEqual(np.CapacityTypes, []string{"on-demand"}) {
		t.Errorf("Default[NodePoolConfig]() = %+v", np)
	}
	cfg := Defaults()
	if cfg.NodeGroups != nil || cfg.Addons != nil || cfg.Karpenter != nil || cfg.Cluster.Version != "1.35" || !cfg.Cluster.KubeProxyReplacement {
		t.Errorf("Defaults() = %+v", cfg)
	}
	// Each call gets lists of its own: changing one default does not change the next.
	a, b := Defaults(), Defaults()
	a.Cluster.PublicAccessCidrs[0] = "10.0.0.0/8"
	if b.Cluster.PublicAccessCidrs[0] != "0.0.0.0/0" {
		t.Error("Defaults() share a list between calls")
	}
}
