package pack

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// presence is what a policy may conclude from one property.
//
// The rule every policy in this pack follows: an absent property means the provider's default
// applies, so it may be a violation; an unknown (computed) property means "cannot tell yet",
// so it never is. During `pulumi preview` any value that flows from another resource
// (subnet ids, ARNs, endpoint hosts) is unknown, and a policy that guessed would either block
// every first preview or pass silently; skipping is the only honest answer, and the same
// policy runs again on the next preview/update once the value is known.
type presence int

const (
	absent  presence = iota // not set, or null: the provider's default applies
	unknown                 // computed during preview: no conclusion may be drawn
	known                   // a concrete value
)

// lookup follows path through nested maps. A computed value anywhere on the way makes the
// result unknown; a value that is not a map where one is needed makes it absent.
func lookup(m property.Map, path ...string) (property.Value, presence) {
	v := property.New(m)
	for _, key := range path {
		if v.IsComputed() {
			return property.Value{}, unknown
		}
		if !v.IsMap() {
			return property.Value{}, absent
		}
		v = v.AsMap().Get(key)
	}
	switch {
	case v.IsComputed():
		return v, unknown
	case v.IsNull():
		return v, absent
	default:
		return v, known
	}
}

// stringItems returns the known string elements of an array value, and whether any element
// is unknown. A value that is not an array yields no items.
func stringItems(v property.Value) (items []string, someUnknown bool) {
	if !v.IsArray() {
		return nil, false
	}
	for _, item := range v.AsArray().All {
		switch {
		case item.IsComputed():
			someUnknown = true
		case item.IsString():
			items = append(items, item.AsString())
		}
	}
	return items, someUnknown
}

// boolish reads a bool, or the strings "true"/"false" that the AWS provider uses for several
// launch-template fields (associatePublicIpAddress, ebs.encrypted).
func boolish(v property.Value) (value, ok bool) {
	switch {
	case v.IsBool():
		return v.AsBool(), true
	case v.IsString():
		b, err := strconv.ParseBool(v.AsString())
		return b, err == nil
	}
	return false, false
}

// wholeNumber reports whether v is a number with no fraction (Pulumi and JSON carry every
// number as a float64).
func wholeNumber(v property.Value) (int, bool) {
	if !v.IsNumber() {
		return 0, false
	}
	n := v.AsNumber()
	if n != math.Trunc(n) || math.IsInf(n, 0) {
		return 0, false
	}
	return int(n), true
}

// stringAt returns the string at path: the value, its presence, and whether a known value is
// a string at all.
func stringAt(m property.Map, path ...string) (string, presence, bool) {
	v, p := lookup(m, path...)
	if p != known {
		return "", p, false
	}
	if !v.IsString() {
		return "", known, false
	}
	return v.AsString(), known, true
}

// show renders a value for a violation message. Secret values are never printed.
func show(v property.Value) string {
	switch {
	case v.Secret():
		return "[secret]"
	case v.IsComputed():
		return "[unknown]"
	case v.IsNull():
		return "null"
	case v.IsString():
		return strconv.Quote(v.AsString())
	case v.IsBool():
		return strconv.FormatBool(v.AsBool())
	case v.IsNumber():
		return strconv.FormatFloat(v.AsNumber(), 'f', -1, 64)
	case v.IsArray():
		parts := make([]string, 0, v.AsArray().Len())
		for _, item := range v.AsArray().All {
			parts = append(parts, show(item))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case v.IsMap():
		parts := []string{}
		for k, item := range v.AsMap().AllStable {
			parts = append(parts, k+": "+show(item))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case v.IsResourceReference():
		return "[resource " + string(v.AsResourceReference().URN) + "]"
	default:
		return fmt.Sprintf("%v", v)
	}
}

// describe renders a value for a message, naming absence explicitly.
func describe(v property.Value, p presence) string {
	if p == absent {
		return "not set"
	}
	return show(v)
}

// showStrings renders a list of strings the way show renders an array of strings.
func showStrings(items []string) string {
	quoted := make([]string, len(items))
	for i, s := range items {
		quoted[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// missingFrom returns the entries of want that are not in have, in want's order.
func missingFrom(want, have []string) []string {
	var missing []string
	for _, w := range want {
		if !slices.Contains(have, w) {
			missing = append(missing, w)
		}
	}
	return missing
}
