package org.jmls.conformance;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.CryptoProvider;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.message.HpkeCiphertext;

/**
 * crypto-basics.json: RefHash, ExpandWithLabel, DeriveSecret, DeriveTreeSecret, SignWithLabel /
 * VerifyWithLabel and EncryptWithLabel / DecryptWithLabel for each cipher suite (RFC 9420 §5).
 * Signing and encryption are randomized (ECDSA aside), so they are checked by verifying and
 * decrypting both the vector's outputs and our own.
 */
final class CryptoBasicsVectors extends EntryVectors.PerSuite {

  CryptoBasicsVectors(CryptoProvider provider) {
    super("crypto-basics.json", provider);
  }




  @Override
  void check(JsonObject v, MlsCrypto c, VectorCase.Mismatches m) throws Exception {

    JsonObject rh = Json.obj(v, "ref_hash");
    m.expect("ref_hash", Json.str(rh, "out"), Json.hex(c.refHash(Json.str(rh, "label"), Json.hex(rh, "value"))));

    JsonObject ewl = Json.obj(v, "expand_with_label");
    m.expect("expand_with_label", Json.str(ewl, "out"),
        Json.hex(c.expandWithLabel(Json.hex(ewl, "secret"), Json.str(ewl, "label"), Json.hex(ewl, "context"),
            (int) Json.num(ewl, "length"))));

    JsonObject ds = Json.obj(v, "derive_secret");
    m.expect("derive_secret", Json.str(ds, "out"),
        Json.hex(c.deriveSecret(Json.hex(ds, "secret"), Json.str(ds, "label"))));

    JsonObject dts = Json.obj(v, "derive_tree_secret");
    m.expect("derive_tree_secret", Json.str(dts, "out"),
        Json.hex(c.deriveTreeSecret(Json.hex(dts, "secret"), Json.str(dts, "label"),
            (int) Json.num(dts, "generation"), (int) Json.num(dts, "length"))));

    JsonObject swl = Json.obj(v, "sign_with_label");
    Secret sigPriv = Secret.wrap(Json.hex(swl, "priv"));
    Bytes sigPub = Bytes.wrap(Json.hex(swl, "pub"));
    String label = Json.str(swl, "label");
    byte[] content = Json.hex(swl, "content");
    m.expect("sign_with_label public key from private", sigPub, c.signaturePublicKey(sigPriv));
    m.expectTrue("sign_with_label: the vector's signature does not verify",
        c.verifyWithLabel(sigPub, label, content, Bytes.wrap(Json.hex(swl, "signature"))));
    m.expectTrue("sign_with_label: our signature does not verify",
        c.verifyWithLabel(sigPub, label, content, c.signWithLabel(sigPriv, label, content)));
    m.expectTrue("sign_with_label: a signature verified under another label",
        !c.verifyWithLabel(sigPub, label + "x", content, Bytes.wrap(Json.hex(swl, "signature"))));

    JsonObject enc = Json.obj(v, "encrypt_with_label");
    Secret encPriv = Secret.wrap(Json.hex(enc, "priv"));
    Bytes encPub = Bytes.wrap(Json.hex(enc, "pub"));
    String elabel = Json.str(enc, "label");
    byte[] ctx = Json.hex(enc, "context");
    String plaintext = Json.str(enc, "plaintext");
    HpkeCiphertext given = new HpkeCiphertext(Bytes.wrap(Json.hex(enc, "kem_output")), Bytes.wrap(Json.hex(enc, "ciphertext")));
    m.expect("decrypt_with_label of the vector's ciphertext", plaintext, Json.hex(c.decryptWithLabel(encPriv, elabel, ctx, given)));
    HpkeCiphertext ours = c.encryptWithLabel(encPub, elabel, ctx, Json.hex(enc, "plaintext"));
    m.expect("decrypt_with_label of our ciphertext", plaintext, Json.hex(c.decryptWithLabel(encPriv, elabel, ctx, ours)));
  }
}
