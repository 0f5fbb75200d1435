package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/eks-cilium/eks-cilium/awsnames"
	"github.com/eks-cilium/eks-cilium/stackconfig"
)

var (
	// clusterNameRe is EKS CreateCluster's name pattern, ^[0-9A-Za-z][A-Za-z0-9\-_]*$ (EKS API
	// reference); its length is checked with the other physical names.
	clusterNameRe = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]*$`)
	// nodeGroupNameRe is stricter than EKS's node group pattern (which also allows '_'): the
	// name is also part of Pulumi resource names, IAM role and launch template names and tags.
	nodeGroupNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)
)

// CheckNames checks the cluster and node group names and every AWS name derived from them
// (package awsnames) against the limit that would refuse it at preview.
func CheckNames(cfg stackconfig.Config) (warnings, refusals stackconfig.Problems) {
	c := &collector{}
	if name := cfg.ClusterName(); !clusterNameRe.MatchString(name) {
		rule := "must be letters, digits, '-' or '_', starting with a letter or digit (EKS cluster names)"
		if cfg.Cluster.Name == "" {
			rule += "; it is derived from the stack name"
		}
		c.refuse(keyClusterName, name, rule, "")
	}
	first := map[string]int{}
	for i, g := range cfg.NodeGroups {
		key := nodeGroupKey(i, "name")
		switch j, seen := first[g.Name]; {
		case g.Name == "":
			c.refuse(key, g.Name, "must not be empty: it names the EKS node group", "")
		case seen:
			c.refuse(key, g.Name, "repeats "+nodeGroupKey(j, "name")+": node group names must be unique", "")
		case !nodeGroupNameRe.MatchString(g.Name):
			c.refuse(key, g.Name, "must be letters, digits and '-' only, starting with a letter or digit: it becomes part of AWS resource names", "")
		}
		if _, seen := first[g.Name]; !seen {
			first[g.Name] = i
		}
	}
	checkNameLengths(c, cfg.ClusterName(), cfg)
	return c.result()
}

// CheckNamesOf checks the names a Platform registered under platform derives from cfg. The
// program names the Platform after the cluster, which CheckNames covers; a Go program that
// picks its own name calls this.
func CheckNamesOf(platform string, cfg stackconfig.Config) stackconfig.Problems {
	c := &collector{}
	checkNameLengths(c, platform, cfg)
	c.refused.Sort()
	return c.refused
}

// checkNameLengths refuses, once per configuration key, every derived name that is too long,
// saying which names that key makes too long and how long the key's value may be.
func checkNameLengths(c *collector, platform string, cfg stackconfig.Config) {
	var keys []string
	byKey := map[string][]awsnames.Name{}
	for _, n := range awsnames.For(platform, cfg) {
		if n.Fits() {
			continue
		}
		if _, seen := byKey[n.Key]; !seen {
			keys = append(keys, n.Key)
		}
		byKey[n.Key] = append(byKey[n.Key], n)
	}
	for _, key := range keys {
		names := byKey[key]
		clauses := make([]string, len(names))
		keyMax, withCluster := names[0].KeyValueMax(), false
		for i, n := range names {
			clauses[i] = describeLength(n)
			keyMax = min(keyMax, n.KeyValueMax())
			withCluster = withCluster || n.ClusterName
		}
		value := names[0].KeyValue
		rule := "makes " + strings.Join(clauses, "; and ")
		c.refuse(key, value, rule, lengthFix(key, keyMax, withCluster, platform, cfg))
	}
}

func describeLength(n awsnames.Name) string {
	completion := ""
	switch n.Suffix {
	case awsnames.AutonameSuffix:
		completion = ` and Pulumi's autonaming suffix ("-" + 7 random characters)`
	case awsnames.PrefixSuffix:
		completion = " and the provider's 26-character unique suffix"
	case 0:
	default:
		completion = fmt.Sprintf(" and a %d-character suffix", n.Suffix)
	}
	if n.Suffix == 0 {
		return fmt.Sprintf("the %s %d characters (%q), over the %d allowed (%s)", n.What, n.Length(), n.Value, n.Max, n.Source)
	}
	return fmt.Sprintf("the %s %d characters: %q (%d)%s, over the %d allowed (%s)",
		n.What, n.Length(), n.Value, len(n.Value), completion, n.Max, n.Source)
}

// lengthFix says how long the key's value may be and, when the cluster name is part of the
// problem, that it can be shortened too, and where a default cluster name comes from.
func lengthFix(key string, keyMax int, withCluster bool, platform string, cfg stackconfig.Config) string {
	var parts []string
	if keyMax >= 1 {
		parts = append(parts, "shorten it to at most "+strconv.Itoa(keyMax)+" characters")
	}
	clusterKey := key == keyClusterName
	if withCluster || clusterKey {
		if !clusterKey {
			part := fmt.Sprintf("the name of the cluster (%q, %d characters) is part of it too", platform, len(platform))
			if keyMax < 1 {
				part = fmt.Sprintf("the cluster name %q (%d characters) alone makes it too long", platform, len(platform))
			}
			parts = append(parts, part)
		}
		if platform == cfg.ClusterName() && cfg.Cluster.Name == "" {
			parts = append(parts, fmt.Sprintf("the cluster name %s is derived from the stack name %q: set %s to a shorter name",
				strconv.Quote(cfg.ClusterName()), cfg.Stack, keyClusterName))
		} else if !clusterKey && platform == cfg.ClusterName() {
			parts = append(parts, "or shorten "+keyClusterName)
		}
	}
	return strings.Join(parts, "; ")
}
