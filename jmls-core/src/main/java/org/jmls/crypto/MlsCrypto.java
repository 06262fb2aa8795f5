package org.jmls.crypto;

import java.nio.charset.StandardCharsets;
import org.jmls.Bytes;
import org.jmls.codec.TlsWriter;
import org.jmls.message.HpkeCiphertext;

/**
 * The cryptographic operations of one RFC 9420 cipher suite (§5), bound to a provider. Obtain one
 * with {@code provider.suite(suite)}. Thread-safe.
 *
 * <p>Labels passed to the labeled functions are the short RFC labels ("DeriveSecret", "epoch",
 * ...); the "MLS 1.0 " prefix is added here, except for {@link #refHash}, whose label is used as
 * given (§5.2).
 */
public final class MlsCrypto {
  private static final byte[] PREFIX = "MLS 1.0 ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] EMPTY = new byte[0];

  private final CipherSuite suite;
  private final CryptoProvider provider;
  private final Hpke hpke;

  MlsCrypto(CipherSuite suite, CryptoProvider provider) {
    this.suite = suite;
    this.provider = provider;
    this.hpke = new Hpke(provider, suite.kem(), suite.kdf(), suite.aead());
  }

  public CipherSuite cipherSuite() {
    return suite;
  }

  public CryptoProvider provider() {
    return provider;
  }

  public Hpke hpke() {
    return hpke;
  }

  /** KDF.Nh: the output length of the suite's KDF (the length of its secrets, nonces and samples). */
  public int hashLength() {
    return suite.kdf().outputLength();
  }

  public byte[] hash(byte[] data) {
    return provider.hash(suite.hash(), data);
  }

  public byte[] mac(byte[] key, byte[] data) {
    return provider.hmac(suite.hash(), key, data);
  }

  public byte[] kdfExtract(byte[] salt, byte[] ikm) {
    return Hkdf.extract(provider, suite.kdf(), salt, ikm);
  }

  public byte[] kdfExpand(byte[] prk, byte[] info, int length) {
    return Hkdf.expand(provider, suite.kdf(), prk, info, length);
  }

  private static byte[] mlsLabel(String label) {
    return mlsLabel(label.getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] mlsLabel(byte[] l) {
    byte[] out = new byte[PREFIX.length + l.length];
    System.arraycopy(PREFIX, 0, out, 0, PREFIX.length);
    System.arraycopy(l, 0, out, PREFIX.length, l.length);
    return out;
  }

  /** ExpandWithLabel(Secret, Label, Context, Length) = KDF.Expand(Secret, KDFLabel, Length) (§5.1). */
  public byte[] expandWithLabel(byte[] secret, String label, byte[] context, int length) {
    return expandWithLabel(secret, label.getBytes(StandardCharsets.US_ASCII), context, length);
  }

  /** ExpandWithLabel with a label given as bytes (exporter labels are application-chosen bytes). */
  public byte[] expandWithLabel(byte[] secret, byte[] label, byte[] context, int length) {
    byte[] kdfLabel = new TlsWriter(length + context.length + 32)
        .u16(length).opaque(mlsLabel(label)).opaque(context).toByteArray();
    return kdfExpand(secret, kdfLabel, length);
  }

  /** DeriveSecret(Secret, Label) = ExpandWithLabel(Secret, Label, "", Nh). */
  public byte[] deriveSecret(byte[] secret, String label) {
    return expandWithLabel(secret, label, EMPTY, hashLength());
  }

  /** DeriveTreeSecret(Secret, Label, Generation, Length) (§9.1): context is the uint32 generation. */
  public byte[] deriveTreeSecret(byte[] secret, String label, int generation, int length) {
    byte[] ctx = {(byte) (generation >>> 24), (byte) (generation >>> 16), (byte) (generation >>> 8), (byte) generation};
    return expandWithLabel(secret, label, ctx, length);
  }

  /** RefHash(label, value) = Hash(RefHashInput{label, value}) (§5.2); the label is used as given. */
  public byte[] refHash(byte[] label, byte[] value) {
    return hash(new TlsWriter(label.length + value.length + 8).opaque(label).opaque(value).toByteArray());
  }

  public byte[] refHash(String label, byte[] value) {
    return refHash(label.getBytes(StandardCharsets.US_ASCII), value);
  }

  /** MakeKeyPackageRef(value) (§5.2), value being the encoded KeyPackage (without MLSMessage framing). */
  public Bytes makeKeyPackageRef(byte[] keyPackage) {
    return Bytes.wrap(refHash("MLS 1.0 KeyPackage Reference", keyPackage));
  }

  /** MakeProposalRef(value) (§5.2), value being the encoded AuthenticatedContent of the proposal. */
  public Bytes makeProposalRef(byte[] authenticatedContent) {
    return Bytes.wrap(refHash("MLS 1.0 Proposal Reference", authenticatedContent));
  }

  private static byte[] labeledContent(String label, byte[] content) {
    return new TlsWriter(content.length + 48).opaque(mlsLabel(label)).opaque(content).toByteArray();
  }

  /** SignWithLabel(SignatureKey, Label, Content) (§5.1.2). */
  public Bytes signWithLabel(Secret signatureKey, String label, byte[] content) throws CryptoException {
    return Bytes.wrap(provider.sign(suite.signature(), signatureKey.unsafeArray(), labeledContent(label, content)));
  }

  /** VerifyWithLabel(VerificationKey, Label, Content, SignatureValue) (§5.1.2). */
  public boolean verifyWithLabel(Bytes verificationKey, String label, byte[] content, Bytes signature) {
    return provider.verify(
        suite.signature(), verificationKey.unsafeArray(), labeledContent(label, content), signature.unsafeArray());
  }

  /**
   * Refuses {@code key} unless it is a valid signature public key of this suite (§5.1.1), naming
   * whose key it is and what is wrong; used to say why a signature failed when the key is the cause.
   */
  public void checkSignatureKey(Bytes key, String whose) throws org.jmls.ValidationException {
    String problem = provider.signatureKeyProblem(suite.signature(), key.unsafeArray());
    if (problem != null) {
      throw new org.jmls.ValidationException("rfc9420-5.1.1.signature-key",
          whose + " is not a valid " + suite.signature() + " public key: " + problem);
    }
  }

  /**
   * The refusal of a signature that did not verify under {@code key}: the key's own fault when it is
   * not a valid key of this suite ({@link #checkSignatureKey}), else {@code rule} with {@code message}.
   */
  public org.jmls.ValidationException signatureRefusal(Bytes key, String whose, String rule, String message) {
    try {
      checkSignatureKey(key, whose);
    } catch (org.jmls.ValidationException keyFault) {
      return keyFault;
    }
    return new org.jmls.ValidationException(rule, message);
  }

  /** Refuses {@code key} unless it is a valid HPKE public key of this suite's KEM (RFC 9180 §7.1.4). */
  public void checkHpkeKey(Bytes key, String whose) throws org.jmls.ValidationException {
    String problem = hpke.keyProblem(key.unsafeArray());
    if (problem != null) {
      throw new org.jmls.ValidationException("rfc9180-7.1.4.public-key", whose + " is not a valid " + suite.kem() + " public key: " + problem);
    }
  }

  /** EncryptWithLabel(PublicKey, Label, Context, Plaintext) (§5.1.3). */
  public HpkeCiphertext encryptWithLabel(Bytes publicKey, String label, byte[] context, byte[] plaintext)
      throws CryptoException {
    return hpke.seal(publicKey.unsafeArray(), labeledContent(label, context), EMPTY, plaintext);
  }

  /**
   * The HPKE info of EncryptWithLabel for {@code label} and {@code context} (§5.1.3), hashed once:
   * for encrypting to many recipients under one context (a Welcome's joiners, an UpdatePath's
   * resolution) without processing the context again for each.
   */
  public Hpke.Info encryptionContext(String label, byte[] context) {
    return hpke.prepare(labeledContent(label, context));
  }

  /** EncryptWithLabel under a context from {@link #encryptionContext}. */
  public HpkeCiphertext encryptWithLabel(Bytes publicKey, Hpke.Info context, byte[] plaintext) throws CryptoException {
    return hpke.seal(publicKey.unsafeArray(), context, EMPTY, plaintext);
  }

  /** DecryptWithLabel(PrivateKey, Label, Context, KEMOutput, Ciphertext) (§5.1.3). */
  public byte[] decryptWithLabel(Secret privateKey, String label, byte[] context, HpkeCiphertext ct)
      throws CryptoException {
    return hpke.open(
        ct.kemOutput().unsafeArray(), privateKey.unsafeArray(), labeledContent(label, context), EMPTY,
        ct.ciphertext().unsafeArray());
  }

  /** DeriveKeyPair of the suite's KEM (RFC 9180 §7.1.3). */
  public KeyPair deriveKeyPair(byte[] ikm) throws CryptoException {
    return hpke.deriveKeyPair(ikm);
  }

  public KeyPair generateHpkeKeyPair() {
    return hpke.generateKeyPair();
  }

  public KeyPair generateSignatureKeyPair() {
    return provider.signatureGenerateKeyPair(suite.signature());
  }

  public Bytes signaturePublicKey(Secret privateKey) throws CryptoException {
    return Bytes.wrap(provider.signaturePublicKey(suite.signature(), privateKey.unsafeArray()));
  }

  public byte[] aeadSeal(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext) {
    return provider.aeadSeal(suite.aead(), key, nonce, aad, plaintext);
  }

  public byte[] aeadOpen(byte[] key, byte[] nonce, byte[] aad, byte[] ciphertext) throws CryptoException {
    return provider.aeadOpen(suite.aead(), key, nonce, aad, ciphertext);
  }

  public byte[] randomBytes(int n) {
    byte[] out = new byte[n];
    provider.randomBytes(out);
    return out;
  }
}
