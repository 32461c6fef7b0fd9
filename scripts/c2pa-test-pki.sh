#!/usr/bin/env bash
# Makes a test certificate authority and a C2PA signing certificate it issued, with openssl,
# in DIR (created if missing):
#   DIR/ca.pem          the CA: `showrunner credentials --trust DIR/ca.pem FILE...`
#   DIR/chain.pem       the signing certificate, then the CA's
#   DIR/leaf.key        its private key: `showrunner screen --render --sign DIR/chain.pem DIR/leaf.key`
# C2PA refuses self-signed certificates; a signing certificate needs keyUsage digitalSignature
# and an extendedKeyUsage such as emailProtection. This CA is for trying `--sign` out and for
# tests: a film shown to others is signed with a certificate from a CA their readers trust.
#
# usage: scripts/c2pa-test-pki.sh DIR [P-256|P-384|P-521] [--no-eku]
#   --no-eku leaves out the extended key usage (a certificate C2PA refuses, for tests).
set -euo pipefail
dir=${1:?usage: scripts/c2pa-test-pki.sh DIR [P-256|P-384|P-521] [--no-eku]}
curve=${2:-P-256}
eku="extendedKeyUsage = emailProtection"
[[ "${3:-}" == "--no-eku" ]] && eku=""
command -v openssl >/dev/null || { echo "c2pa-test-pki: needs openssl (apt-get install openssl)" >&2; exit 1; }
mkdir -p "$dir"
cd "$dir"
cat > ca.cnf <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = Showrunner Test CA
O = Showrunner tests
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
$eku
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
CNF
(
  umask 077
  openssl req -x509 -new -newkey ec -pkeyopt "ec_paramgen_curve:$curve" -nodes \
    -keyout ca.key -out ca.pem -days 30 -config ca.cnf -extensions ca
  openssl req -new -newkey ec -pkeyopt "ec_paramgen_curve:$curve" -nodes \
    -keyout leaf.key -out leaf.csr -subj "/CN=Showrunner test signer/O=Showrunner tests"
) 2>/dev/null
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem \
  -days 30 -extfile ca.cnf -extensions leaf 2>/dev/null
chmod 644 ca.pem
cat leaf.pem ca.pem > chain.pem
rm -f leaf.csr ca.srl
