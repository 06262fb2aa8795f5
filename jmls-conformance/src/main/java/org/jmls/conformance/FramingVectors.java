package org.jmls.conformance;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.jmls.Bytes;
import org.jmls.codec.TlsReader;
import org.jmls.crypto.CryptoProvider;
import org.jmls.crypto.MlsCrypto;
import org.jmls.crypto.Secret;
import org.jmls.framing.Framing;
import org.jmls.framing.WelcomeOpener;
import org.jmls.message.ApplicationData;
import org.jmls.message.AuthenticatedContent;
import org.jmls.message.Commit;
import org.jmls.message.Content;
import org.jmls.message.FramedContent;
import org.jmls.message.GroupContext;
import org.jmls.message.KeyPackage;
import org.jmls.message.MlsMessage;
import org.jmls.message.PrivateMessage;
import org.jmls.message.Proposal;
import org.jmls.message.ProtocolVersion;
import org.jmls.message.PublicMessage;
import org.jmls.message.Sender;
import org.jmls.message.Welcome;
import org.jmls.message.WireFormat;
import org.jmls.schedule.OutOfOrderPolicy;
import org.jmls.schedule.SecretTree;

/** message-protection.json (§6) and welcome.json (§12.4.3.1). */
final class FramingVectors {
  private FramingVectors() {}

  static final class Protection extends EntryVectors.PerSuite {

    Protection(CryptoProvider provider) {
      super("message-protection.json", provider);
    }



    private SecretTree secretTree(MlsCrypto c, JsonObject v) {
      return new SecretTree(c, Secret.wrap(Json.hex(v, "encryption_secret")), 2, OutOfOrderPolicy.DEFAULT);
    }

    @Override
    void check(JsonObject v, MlsCrypto c, VectorCase.Mismatches m) throws Exception {
      int suite = c.cipherSuite().id();
      Bytes groupId = Bytes.wrap(Json.hex(v, "group_id"));
      long epoch = Json.num(v, "epoch");
      GroupContext gc = new GroupContext(ProtocolVersion.MLS10, suite, groupId, epoch,
          Bytes.wrap(Json.hex(v, "tree_hash")), Bytes.wrap(Json.hex(v, "confirmed_transcript_hash")), List.of());
      Secret sigPriv = Secret.wrap(Json.hex(v, "signature_priv"));
      Bytes sigPub = Bytes.wrap(Json.hex(v, "signature_pub"));
      Secret sdSecret = Secret.wrap(Json.hex(v, "sender_data_secret"));
      Secret membershipKey = Secret.wrap(Json.hex(v, "membership_key"));

      Content proposal = TlsReader.decode(Json.hex(v, "proposal"), Proposal::decode);
      Content commit = TlsReader.decode(Json.hex(v, "commit"), Commit::decode);
      Content application = new ApplicationData(Bytes.wrap(Json.hex(v, "application")));

      // Unprotect the vector's messages, each generated from a fresh secret tree (generation 0).
      for (String kind : new String[] {"proposal", "commit", "application"}) {
        Content want = kind.equals("proposal") ? proposal : kind.equals("commit") ? commit : application;
        MlsMessage priv = MlsMessage.fromBytes(Json.hex(v, kind + "_priv"));
        AuthenticatedContent ac = Framing.fromPrivate(c, (PrivateMessage) priv.body(), secretTree(c, v), sdSecret, 2);
        m.expect(kind + "_priv content", want, ac.content().content());
        m.expectTrue(kind + "_priv signature does not verify", Framing.verifySignature(c, ac, gc, sigPub));
        if (!kind.equals("application")) {
          MlsMessage pub = MlsMessage.fromBytes(Json.hex(v, kind + "_pub"));
          PublicMessage pm = (PublicMessage) pub.body();
          m.expect(kind + "_pub content", want, pm.content().content());
          Framing.verifyMembershipTag(c, pm, gc, membershipKey);
          m.expectTrue(kind + "_pub signature does not verify", Framing.verifySignature(c, pm.authenticatedContent(), gc, sigPub));
        }
      }

      // Protect our own and unprotect them again.
      SecretTree sending = secretTree(c, v);
      SecretTree again = secretTree(c, v);
      for (Content content : new Content[] {proposal, commit, application}) {
        String kind = content.contentType().toString();
        FramedContent fc = new FramedContent(groupId, epoch, Sender.member(1), Bytes.EMPTY, content);
        Bytes tag = Bytes.wrap(new byte[c.hashLength()]);
        AuthenticatedContent ac = Framing.sign(c, WireFormat.MLS_PRIVATE_MESSAGE, fc, gc, sigPriv, tag);
        PrivateMessage pm = Framing.toPrivate(c, ac, sending, sdSecret, 32);
        byte[] wire = MlsMessage.of(pm).toByteArray();
        AuthenticatedContent back = Framing.fromPrivate(c, (PrivateMessage) MlsMessage.fromBytes(wire).body(), again, sdSecret, 2);
        m.expect("our private " + kind, ac, back);
        m.expectTrue("our private " + kind + " signature", Framing.verifySignature(c, back, gc, sigPub));
        if (content != application) {
          AuthenticatedContent pac = Framing.sign(c, WireFormat.MLS_PUBLIC_MESSAGE, fc, gc, sigPriv, tag);
          PublicMessage pub = Framing.toPublic(c, pac, gc, membershipKey);
          PublicMessage pubBack = (PublicMessage) MlsMessage.fromBytes(MlsMessage.of(pub).toByteArray()).body();
          Framing.verifyMembershipTag(c, pubBack, gc, membershipKey);
          m.expectTrue("our public " + kind + " signature", Framing.verifySignature(c, pubBack.authenticatedContent(), gc, sigPub));
        }
      }
    }
  }

  static final class Welcomes extends EntryVectors.PerSuite {

    Welcomes(CryptoProvider provider) {
      super("welcome.json", provider);
    }

    @Override
    void check(JsonObject v, MlsCrypto c, VectorCase.Mismatches m) throws Exception {
      KeyPackage kp = (KeyPackage) MlsMessage.fromBytes(Json.hex(v, "key_package")).body();
      Welcome w = (Welcome) MlsMessage.fromBytes(Json.hex(v, "welcome")).body();
      Bytes ref = c.makeKeyPackageRef(kp.toByteArray());
      WelcomeOpener.Opened o = WelcomeOpener.open(c, w, ref, Secret.wrap(Json.hex(v, "init_priv")), List.of());
      m.expectTrue("GroupInfo signature does not verify",
          WelcomeOpener.groupInfoSignatureValid(c, o.groupInfo(), Bytes.wrap(Json.hex(v, "signer_pub"))));
      m.expect("cipher suite", c.cipherSuite().id(), o.groupInfo().groupContext().cipherSuite());
    }


  }
}
