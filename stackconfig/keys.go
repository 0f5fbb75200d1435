package stackconfig

import (
	"reflect"
	"sort"
	"strings"
)

// section is one eks-cilium:<name> key: a field of Config with a json tag. Sections are found
// by reflection, so a field added to Config is a config key without any change here.
type section struct {
	name  string // the json tag: vpc, cluster, nodeGroups, ...
	index int    // field index in Config
	typ   reflect.Type
}

// sections lists Config's fields that are config keys, in declaration order.
func sections() []section {
	t := reflect.TypeFor[Config]()
	var out []section
	for i := range t.NumField() {
		if name := jsonName(t.Field(i)); name != "" {
			out = append(out, section{name: name, index: i, typ: t.Field(i).Type})
		}
	}
	return out
}

func sectionNamed(name string) (section, bool) {
	for _, s := range sections() {
		if s.name == name {
			return s, true
		}
	}
	return section{}, false
}

// jsonName is the name a struct field is written with in a stack file, "" for fields that
// are not read from one (json:"-", unexported).
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// Keys are the config keys a program reads, in a fixed order: aws:region, then every section.
func Keys() []string {
	keys := []string{KeyRegion}
	for _, s := range sections() {
		keys = append(keys, Namespace+":"+s.name)
	}
	return keys
}

// awsKeys are the provider settings pulumi-aws v6.83.4 reads (sdk/go/aws/config/config.go;
// TestAwsKeys_MatchThePinnedProvider compares them with that file). Any other aws:* key is
// ignored by the provider, so a misspelt aws:region would go unnoticed.
var awsKeys = []string{
	"accessKey", "allowedAccountIds", "assumeRole", "assumeRoleWithWebIdentity", "customCaBundle",
	"defaultTags", "ec2MetadataServiceEndpoint", "ec2MetadataServiceEndpointMode", "endpoints",
	"forbiddenAccountIds", "httpProxy", "httpsProxy", "ignoreTags", "insecure", "maxRetries",
	"noProxy", "profile", "region", "retryMode", "s3UsEast1RegionalEndpoint", "s3UsePathStyle",
	"secretKey", "sharedConfigFiles", "sharedCredentialsFiles", "skipCredentialsValidation",
	"skipMetadataApiCheck", "skipRegionValidation", "skipRequestingAccountId", "stsRegion", "token",
	"tokenBucketRateLimiterCapacity", "useDualstackEndpoint", "useFipsEndpoint",
}

// The namespaces a stack of this program may set: its own keys, the AWS provider's settings
// and the engine's own (pulumi:tags, pulumi:disable-default-providers, ...). Pulumi passes
// every key to the program and leaves unknown ones unread, so `eks_cilium:vpc` would silently
// fall back to the default VPC; here it is refused instead.
const (
	awsNamespace    = "aws"
	pulumiNamespace = "pulumi"
)

// knownKeys are the full keys suggestions are drawn from.
func knownKeys() []string {
	keys := Keys()[1:]
	for _, k := range awsKeys {
		keys = append(keys, awsNamespace+":"+k)
	}
	return keys
}

// CheckKeys refuses config keys this program does not know: unknown eks-cilium sections,
// AWS settings the provider does not have, and keys of any other namespace, each with the
// nearest known key. keys are full keys (namespace:name) as Pulumi hands them to a program.
func CheckKeys(keys []string) Problems {
	var probs Problems
	for _, key := range keys {
		if p, bad := checkKey(key); bad {
			probs = append(probs, p)
		}
	}
	sortProblems(probs)
	return probs
}

func checkKey(key string) (Problem, bool) {
	ns, name, _ := strings.Cut(key, ":")
	switch ns {
	case Namespace:
		if _, ok := sectionNamed(name); ok {
			return Problem{}, false
		}
		return unknownKey(key, "unknown config key of this project; it declares "+strings.Join(Keys()[1:], ", ")), true
	case awsNamespace:
		if contains(awsKeys, name) {
			return Problem{}, false
		}
		return unknownKey(key, "not a setting of the AWS provider (pulumi-aws v6.83.4); it would be ignored"), true
	case pulumiNamespace:
		return Problem{}, false
	}
	return unknownKey(key, "unknown namespace "+quote(ns)+"; this program reads "+Namespace+":*, the AWS provider "+awsNamespace+":*, the engine "+pulumiNamespace+":*; any other key would be ignored"), true
}

func unknownKey(key, rule string) Problem {
	p := Problem{Key: key, Rule: rule}
	if n := nearestKey(key); n != "" {
		p.Fix = "did you mean " + n + "?"
	}
	return p
}

// nearestKey suggests a known key for an unknown one: the same name in another namespace
// (region → aws:region), else the closest full key (eks_cilium:vpc → eks-cilium:vpc).
func nearestKey(key string) string {
	_, name, _ := strings.Cut(key, ":")
	known := knownKeys()
	for _, k := range known {
		if _, kn, _ := strings.Cut(k, ":"); kn == name {
			return k
		}
	}
	return Nearest(key, known)
}

func quote(s string) string { return `"` + Shorten(s, MaxShownValue) + `"` }

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func sortProblems(ps Problems) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Key != ps[j].Key {
			return ps[i].Key < ps[j].Key
		}
		return ps[i].Line < ps[j].Line
	})
}
