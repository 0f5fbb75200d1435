package ekscilium

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/eks-cilium/eks-cilium/stackconfig"
)

// The argument types (PlatformArgs and one type per configuration object) are generated
// from package stackconfig's declarations into args_gen.go: `go generate ./stackconfig`.

// Config decodes the arguments exactly as the program decodes a stack file: each object is
// handed to stackconfig.Decode as the JSON Pulumi would hand the program for that key, so
// absent fields take the declared defaults and wrong values fail with the key named.
func (a PlatformArgs) Config(stack, region string) (stackconfig.Config, error) {
	values := map[string]string{}
	if region != "" {
		values[stackconfig.KeyRegion] = region
	}
	v := reflect.ValueOf(a)
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("pulumi"), ",")
		plain, ok := jsonValue(v.Field(i))
		if !ok {
			continue
		}
		text, err := json.Marshal(plain)
		if err != nil {
			return stackconfig.Config{}, err
		}
		values[stackconfig.Namespace+":"+name] = string(text)
	}
	return stackconfig.Decode(stack, values)
}

// jsonValue is an argument as the JSON a stack file's value becomes, keyed by the `pulumi`
// names; ok is false for what was not given (a nil pointer, list or map), so that the
// declared default applies. An empty list that was given stays an empty list.
func jsonValue(v reflect.Value) (any, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, false
		}
		return jsonValue(v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			return nil, false
		}
		out := make([]any, 0, v.Len())
		for i := range v.Len() {
			e, _ := jsonValue(v.Index(i))
			out = append(out, e)
		}
		return out, true
	case reflect.Map:
		if v.IsNil() {
			return nil, false
		}
		out := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			e, _ := jsonValue(it.Value())
			out[it.Key().String()] = e
		}
		return out, true
	case reflect.Struct:
		out := map[string]any{}
		for i := range v.NumField() {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("pulumi"), ",")
			if e, ok := jsonValue(v.Field(i)); ok {
				out[name] = e
			}
		}
		return out, true
	}
	return v.Interface(), true
}
