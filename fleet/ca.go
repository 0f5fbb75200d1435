package fleet

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"time"
)

// CA is the mesh's one certificate authority, PEM-encoded: Cilium's chart takes it as
// tls.ca.cert and tls.ca.key (base64 of the PEM) and signs every member's clustermesh
// certificates with it, so members trust each other without per-peer TLS.
//
// Why one shared CA and not each cluster's own CA with tls.caBundle: with a bundle, every
// member must carry every other member's CA certificate, so adding or removing a member
// changes tls.caBundle on all of them, which restarts every Cilium pod of the mesh (cilium-cli
// clustermesh connect --allow-mismatching-ca does exactly that), and each chart-minted CA
// would have to be read back out of its cluster (its cilium-ca Secret, key included) to be
// published. A shared CA changes nothing on existing members when one joins or leaves. It
// is created once, by the mesh's first member, in Go (the pulumi-tls and pulumi-random SDKs
// are not available to this project), exported by every member as a secret output and
// taken by the others only through StackReferences, which keep it secret.
type CA struct {
	Cert, Key string
}

// CAValidity is how long a CA created here is valid: the validity Cilium's chart gives the
// CA it generates itself (values.yaml tls.ca.certValidityDuration: 1095 days).
const CAValidity = 1095 * 24 * time.Hour

// CACommonName is the subject of a CA created here.
const CACommonName = "Cilium ClusterMesh CA (eks-cilium)"

// NewCA creates a self-signed ECDSA P-256 CA valid from now for CAValidity. Cilium's chart
// reads any PEM private key Sprig parses (PKCS#1/8 RSA, SEC 1 EC; Sprig v3.3.0 crypto.go,
// parsePrivateKeyPEM), and the chart contract test renders the clustermesh certificates with
// a CA from here.
func NewCA(random io.Reader, now time.Time) (CA, error) {
	if random == nil {
		random = rand.Reader
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), random)
	if err != nil {
		return CA{}, err
	}
	serial, err := rand.Int(random, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return CA{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: CACommonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(CAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(random, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return CA{}, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return CA{}, err
	}
	return CA{
		Cert: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		Key:  string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})),
	}, nil
}

// Check reads the CA back: a CA certificate whose key is the private key. A CA read from a
// stack output is checked before it is used.
func (ca CA) Check() error {
	block, _ := pem.Decode([]byte(ca.Cert))
	if block == nil || block.Type != "CERTIFICATE" {
		return errors.New("the certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return err
	}
	if !cert.IsCA {
		return errors.New("the certificate is not a CA")
	}
	kb, _ := pem.Decode([]byte(ca.Key))
	if kb == nil {
		return errors.New("the key is not PEM")
	}
	var pub crypto.PublicKey
	switch kb.Type {
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(kb.Bytes)
		if err != nil {
			return err
		}
		pub = &k.PublicKey
	default:
		k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
		if err != nil {
			return fmt.Errorf("the key (%s) cannot be read: %w", kb.Type, err)
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			return errors.New("the key cannot sign")
		}
		pub = signer.Public()
	}
	if p, ok := pub.(interface{ Equal(crypto.PublicKey) bool }); !ok || !p.Equal(cert.PublicKey) {
		return errors.New("the key does not belong to the certificate")
	}
	return nil
}

// NotAfter is when the CA certificate expires (zero if it cannot be read).
func (ca CA) NotAfter() time.Time {
	block, _ := pem.Decode([]byte(ca.Cert))
	if block == nil {
		return time.Time{}
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return time.Time{}
	}
	return cert.NotAfter
}

// CAFromOutputs reads a member's OutputCA output ({cert, key}); ok is false when absent.
func CAFromOutputs(stack string, v any) (ca CA, ok bool, err error) {
	if v == nil {
		return CA{}, false, nil
	}
	obj, isMap := v.(map[string]any)
	cert, _ := obj["cert"].(string)
	key, _ := obj["key"].(string)
	if !isMap || cert == "" || key == "" {
		return CA{}, false, fmt.Errorf("stack %s: output %s is not a CA ({cert, key} in PEM)", stack, OutputCA)
	}
	ca = CA{Cert: cert, Key: key}
	if err := ca.Check(); err != nil {
		return CA{}, false, fmt.Errorf("stack %s: output %s: %w", stack, OutputCA, err)
	}
	return ca, true, nil
}

// Outputs is the CA as the OutputCA object.
func (ca CA) Outputs() map[string]any { return map[string]any{"cert": ca.Cert, "key": ca.Key} }
