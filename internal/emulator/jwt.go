package emulator

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// newSigningKey generates the RSA key the emulator signs access tokens with.
func newSigningKey() (*rsa.PrivateKey, string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, "", fmt.Errorf("generating token signing key: %w", err)
	}
	sum := sha256.Sum256(key.PublicKey.N.Bytes())
	return key, base64.RawURLEncoding.EncodeToString(sum[:12]), nil
}

var b64 = base64.RawURLEncoding

// signJWT returns an RS256 JWT of claims.
func (s *Server) signJWT(claims map[string]any) (string, error) {
	header, err := json.Marshal(map[string]any{"typ": "JWT", "alg": "RS256", "kid": s.keyID})
	if err != nil {
		return "", fmt.Errorf("encoding token header: %w", err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encoding token claims: %w", err)
	}
	signing := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.signKey, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("signing token: %w", err)
	}
	return signing + "." + b64.EncodeToString(sig), nil
}

// verifyJWT checks an RS256 JWT signed by the emulator and returns its
// claims.
func (s *Server) verifyJWT(tok string) (map[string]any, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errors.New("IDX14100: JWT is not well formed, there are no dots (.).")
	}
	var header struct{ Alg, Kid string }
	hb, err := b64.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &header) != nil {
		return nil, errors.New("IDX14102: Unable to decode the header of the JWT.")
	}
	if header.Alg != "RS256" || header.Kid != s.keyID {
		return nil, errors.New("IDX10503: Signature validation failed.")
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return nil, errors.New("IDX10503: Signature validation failed.")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&s.signKey.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return nil, errors.New("IDX10503: Signature validation failed.")
	}
	claims, err := decodeClaims(parts[1])
	if err != nil {
		return nil, err
	}
	return claims, nil
}

// decodeClaims decodes a JWT payload without checking anything.
func decodeClaims(part string) (map[string]any, error) {
	pb, err := b64.DecodeString(strings.TrimRight(part, "="))
	if err != nil {
		return nil, errors.New("IDX14103: Unable to decode the payload of the JWT.")
	}
	var claims map[string]any
	if err := json.Unmarshal(pb, &claims); err != nil {
		return nil, errors.New("IDX14103: Unable to decode the payload of the JWT.")
	}
	return claims, nil
}

// jwks is the public key set of the emulator, for discovery.
func (s *Server) jwks() map[string]any {
	pub := s.signKey.PublicKey
	return map[string]any{"keys": []any{map[string]any{
		"kty": "RSA", "use": "sig", "alg": "RS256", "kid": s.keyID,
		"n": b64.EncodeToString(pub.N.Bytes()),
		"e": b64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}}}
}
