//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/eks-cilium/eks-cilium/components/vpc"
	"github.com/eks-cilium/eks-cilium/migration"
	"github.com/eks-cilium/eks-cilium/stackconfig"
	awseks "github.com/pulumi/pulumi-aws/sdk/v6/go/aws/eks"
	"github.com/pulumi/pulumi-eks/sdk/v3/go/eks"
	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// migrationNeeded is what one migration run takes at most: the VPC-CNI cluster (~20 min), the
// four phases with a drain between (~35 min), Cilium's connectivity test (~15 min) and two
// destroys (~25 min).
const migrationNeeded = 110 * time.Minute

// legacyProgram is a cluster as most teams have one today: pulumi-eks's defaults, which keep
// the AWS VPC CNI (its own vpc-cni add-on, eks:index:VpcCniAddon), and one managed node group
// "legacy" on it. Its size comes from config (e2e:legacySize) so the test can drain it.
func legacyProgram(ctx *pulumi.Context) error {
	name := config.Require(ctx, "name")
	size := config.RequireInt(ctx, "legacySize")
	net, err := vpc.NewVpc(ctx, name, &vpc.VpcArgs{
		Cidr: "10.0.0.0/16", NatGateways: vpc.NatSingle, ClusterName: name,
		Subnets: []vpc.SubnetPair{
			{Private: netip.MustParsePrefix("10.0.0.0/18"), Public: netip.MustParsePrefix("10.0.128.0/18")},
			{Private: netip.MustParsePrefix("10.0.64.0/18"), Public: netip.MustParsePrefix("10.0.192.0/18")},
		},
	})
	if err != nil {
		return err
	}
	apiAuth := eks.AuthenticationModeApi
	cl, err := eks.NewCluster(ctx, name, &eks.ClusterArgs{
		Name: pulumi.String(name), Version: pulumi.String("1.35"),
		VpcId: net.VpcId, PrivateSubnetIds: net.PrivateSubnetIds, PublicSubnetIds: net.PublicSubnetIds,
		KubernetesServiceIpAddressRange: pulumi.String("172.20.0.0/16"),
		SkipDefaultNodeGroup:            pulumi.BoolRef(true),
		AuthenticationMode:              &apiAuth,
	}, pulumi.DependsOn(net.Egress))
	if err != nil {
		return err
	}
	ng, err := eks.NewManagedNodeGroup(ctx, name+"-legacy", &eks.ManagedNodeGroupArgs{
		Cluster: cl, NodeGroupName: pulumi.String("legacy"), SubnetIds: net.PrivateSubnetIds,
		InstanceTypes: pulumi.ToStringArray([]string{"t3.medium"}),
		ScalingConfig: &awseks.NodeGroupScalingConfigArgs{MinSize: pulumi.Int(size), DesiredSize: pulumi.Int(size), MaxSize: pulumi.Int(3)},
	})
	if err != nil {
		return err
	}
	ctx.Export("vpcId", net.VpcId)
	ctx.Export("privateSubnetIds", net.PrivateSubnetIds)
	ctx.Export("publicSubnetIds", net.PublicSubnetIds)
	ctx.Export("nodeGroupName", ng.NodeGroup.NodeGroupName())
	ctx.Export("kubeconfig", pulumi.ToSecret(cl.KubeconfigJson))
	return nil
}

// TestE2E_MigratesAVpcCniClusterToCilium creates an EKS cluster on the AWS VPC CNI with a
// workload on it, adopts it with a second stack and walks the migration: install (Cilium
// beside aws-node; pods on the new and the legacy nodes reach each other), the legacy group
// drained, finalize, remove-aws-node (no aws-node left, every pod in the pool), then Cilium's
// own connectivity test. Both stacks are destroyed at the end, also on failure.
//
//	EKS_CILIUM_E2E=1 AWS_PROFILE=... go test -tags e2e -timeout 150m -run Migrates -v ./tests/e2e
func TestE2E_MigratesAVpcCniClusterToCilium(t *testing.T) {
	requireAWS(t, "create a VPC-CNI cluster and migrate it to Cilium (~100 min, ~2 USD)", migrationNeeded, "150m")
	name := fmt.Sprintf("e2emig%d", time.Now().Unix()%1_000_000)
	region := os.Getenv("EKS_CILIUM_E2E_REGION")
	if region == "" {
		region = "eu-west-1"
	}

	// The cluster to migrate: its own stack, destroyed last.
	legacy, legacyBackend := newProgramStack(t, name+"-legacy", legacyProgram, map[string]string{
		"aws:region": region, "e2e:name": name, "e2e:legacySize": "2",
	})
	t.Cleanup(func() {
		destroy(t, legacy, legacyBackend, stackconfig.Config{Stack: name, Region: region, Cluster: stackconfig.ClusterConfig{Name: name}})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	lup, err := legacy.Up(ctx, optup.ProgressStreams(os.Stdout), optup.ErrorProgressStreams(os.Stderr))
	if err != nil {
		t.Fatalf("creating the VPC-CNI cluster: %v", err)
	}
	kubeconfig := lup.Outputs["kubeconfig"].Value.(string)
	kubeconfigFile := filepath.Join(t.TempDir(), "kubeconfig.json")
	if err := os.WriteFile(kubeconfigFile, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	restCfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(kubeconfig))
	if err != nil {
		t.Fatal(err)
	}
	kube := kubernetes.NewForConfigOrDie(restCfg)

	// The adopting stack: the migration's fixture, pointed at the new cluster.
	strs := func(key string) []string {
		var out []string
		for _, v := range lup.Outputs[key].Value.([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	values := adoptValues(t, region, name, lup.Outputs["vpcId"].Value.(string), strs("privateSubnetIds"), strs("publicSubnetIds"),
		lup.Outputs["nodeGroupName"].Value.(string))
	adopting, backend := newStack(t, name, values)
	t.Cleanup(func() { destroy(t, adopting, backend, stackconfig.Config{Stack: name, Region: region}) })
	pools := []netip.Prefix{netip.MustParsePrefix("100.64.0.0/16")}

	phase := func(p string) {
		t.Helper()
		m := map[string]any{"phase": p, "legacyNodeGroups": []string{lup.Outputs["nodeGroupName"].Value.(string)}, "awsNode": "addon"}
		if p == "" {
			if err := adopting.RemoveConfig(context.Background(), stackconfig.KeyMigration); err != nil {
				t.Fatal(err)
			}
		} else {
			raw, _ := json.Marshal(m)
			if err := adopting.SetConfig(context.Background(), stackconfig.KeyMigration, auto.ConfigValue{Value: string(raw)}); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
		defer cancel()
		if _, err := adopting.Up(ctx, optup.ProgressStreams(os.Stdout), optup.ErrorProgressStreams(os.Stderr)); err != nil {
			t.Fatalf("phase %q: %v", p, err)
		}
	}

	phase("install")
	checkCiliumDaemonSet(t, kube)
	checkNodes(t, kube, 4)
	checkAwsNodeOnlyOnLegacyNodes(t, kube)
	checkAcrossTheTwoNetworks(t, kube, pools)

	// Drain the legacy group the way its owner would: scale it to 0 (EKS drains each node).
	if err := legacy.SetConfig(context.Background(), "e2e:legacySize", auto.ConfigValue{Value: "0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := legacy.Up(context.Background(), optup.ProgressStreams(os.Stdout)); err != nil {
		t.Fatalf("scaling the legacy group to 0: %v", err)
	}
	eventually(t, 20*time.Minute, "no legacy node left", func(ctx context.Context) error {
		nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: migration.NodeLabelKey + "!=" + migration.NodeLabelValue})
		if err != nil {
			return err
		}
		if n := len(nodes.Items); n > 0 {
			return fmt.Errorf("%d legacy nodes", n)
		}
		return nil
	})

	phase("finalize")
	checkCiliumDaemonSet(t, kube)
	if _, err := kube.CoreV1().ConfigMaps("kube-system").Get(context.Background(), "cilium-config", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	phase("remove-aws-node")
	checkNoAwsNode(t, kube)
	phase("")
	checkPodIPs(t, kube, pools)
	checkOverlay(t, kube, pools)
	ciliumConnectivityTest(t, kubeconfigFile)
}

// adoptValues is tests/fixtures/Pulumi.adopt.yaml for the cluster the test created.
func adoptValues(t *testing.T, region, name, vpcId string, private, public []string, legacyGroup string) map[string]string {
	t.Helper()
	_, values, err := stackconfig.LoadFile("../fixtures/Pulumi.adopt.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set := func(key string, v any) {
		raw, _ := json.Marshal(v)
		values[key] = string(raw)
	}
	values[stackconfig.KeyRegion] = region
	set(stackconfig.KeyVpc, map[string]any{"id": vpcId, "cidr": "10.0.0.0/16", "privateSubnetIds": private, "publicSubnetIds": public})
	set(stackconfig.KeyCluster, map[string]any{"existing": true, "name": name, "version": "1.35", "serviceCidr": "172.20.0.0/16", "kubeProxyReplacement": false})
	set(stackconfig.KeyNodeGroups, []any{map[string]any{"name": "cilium", "instanceTypes": []string{"t3.medium"}, "minSize": 2, "desiredSize": 2, "maxSize": 3, "maxPods": 110}})
	set(stackconfig.KeyMigration, map[string]any{"phase": "install", "legacyNodeGroups": []string{legacyGroup}, "awsNode": "addon"})
	return values
}

// newProgramStack is newStack for another inline program (the VPC-CNI cluster's).
func newProgramStack(t *testing.T, name string, prog pulumi.RunFunc, values map[string]string) (auto.Stack, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "eks-cilium-e2e-state-")
	if err != nil {
		t.Fatal(err)
	}
	backend := "file://" + dir
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	stack, err := auto.UpsertStackInlineSource(ctx, name, "e2e", prog,
		auto.EnvVars(map[string]string{"PULUMI_BACKEND_URL": backend, "PULUMI_CONFIG_PASSPHRASE": "eks-cilium-e2e"}),
		auto.Project(workspace.Project{Name: tokens.PackageName("e2e"), Runtime: workspace.NewProjectRuntimeInfo("go", nil)}))
	if err != nil {
		t.Fatal(err)
	}
	for _, plugin := range providerPlugins(t) {
		if err := stack.Workspace().InstallPlugin(ctx, plugin[0], plugin[1]); err != nil {
			t.Fatal(err)
		}
	}
	cm := auto.ConfigMap{}
	for k, v := range values {
		cm[k] = auto.ConfigValue{Value: v}
	}
	if err := stack.SetAllConfig(ctx, cm); err != nil {
		t.Fatal(err)
	}
	return stack, backend
}

// checkAwsNodeOnlyOnLegacyNodes: during install aws-node runs on the legacy nodes only, never on
// a node of the new group (the migration's affinity).
func checkAwsNodeOnlyOnLegacyNodes(t *testing.T, kube kubernetes.Interface) {
	ctx := context.Background()
	pods, err := kube.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "k8s-app=aws-node"})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) == 0 {
		t.Fatalf("no aws-node pod: the legacy nodes lost their CNI")
	}
	for _, p := range pods.Items {
		n, err := kube.CoreV1().Nodes().Get(ctx, p.Spec.NodeName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n.Labels[migration.NodeLabelKey] == migration.NodeLabelValue {
			t.Errorf("aws-node pod %s runs on the Cilium node %s", p.Name, n.Name)
		}
	}
}

// checkAcrossTheTwoNetworks runs a server on a legacy node (a VPC address from aws-node) and one
// on a new node (an address from the pool), and a client on each side that reaches the other:
// the dual overlay of Cilium's migration, with aws-node not masquerading traffic to the pool.
func checkAcrossTheTwoNetworks(t *testing.T, kube kubernetes.Interface, pools []netip.Prefix) {
	ctx := context.Background()
	ns := fmt.Sprintf("e2e-migration-%d", time.Now().Unix()%100000)
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	nodeOf := func(cilium bool) string {
		nodes, err := kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes.Items {
			if (n.Labels[migration.NodeLabelKey] == migration.NodeLabelValue) == cilium && nodeReady(n) {
				return n.Name
			}
		}
		t.Fatalf("no Ready node with cilium=%v", cilium)
		return ""
	}
	pod := func(name, node string, args ...string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.PodSpec{
			NodeName: node, RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: name, Image: "registry.k8s.io/e2e-test-images/agnhost:2.53", Args: args}},
		}}
	}
	ips := map[string]string{}
	for name, cilium := range map[string]bool{"on-legacy": false, "on-cilium": true} {
		if _, err := kube.CoreV1().Pods(ns).Create(ctx, pod(name, nodeOf(cilium), "netexec", "--http-port=8080"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Minute, name+" running", func(ctx context.Context) error {
			p, err := kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil || p.Status.PodIP == "" || p.Status.Phase != corev1.PodRunning {
				return fmt.Errorf("not running yet (%v)", err)
			}
			ips[name] = p.Status.PodIP
			return nil
		})
	}
	if ip := netip.MustParseAddr(ips["on-cilium"]); !inPools(ip, pools) {
		t.Errorf("the pod on the Cilium node has %s, not from the pool", ip)
	}
	if ip := netip.MustParseAddr(ips["on-legacy"]); inPools(ip, pools) {
		t.Errorf("the pod on the legacy node has %s from Cilium's pool: aws-node no longer serves it", ip)
	}
	for client, server := range map[string]string{"on-legacy": "on-cilium", "on-cilium": "on-legacy"} {
		name := "from-" + client
		node := nodeOf(client == "on-cilium")
		// agnhost connect: a TCP connection to the other side's pod IP, exit 0 when it opens.
		if _, err := kube.CoreV1().Pods(ns).Create(ctx, pod(name, node, "connect", "--timeout=5s", ips[server]+":8080"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Minute, name+" finished", func(ctx context.Context) error {
			p, err := kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			switch p.Status.Phase {
			case corev1.PodSucceeded:
				return nil
			case corev1.PodFailed:
				logs, _ := kube.CoreV1().Pods(ns).GetLogs(name, &corev1.PodLogOptions{}).DoRaw(ctx)
				t.Errorf("a pod %s cannot reach the pod %s at %s: %s", client, server, ips[server], logs)
				return nil
			}
			return fmt.Errorf("phase %s", p.Status.Phase)
		})
	}
}
