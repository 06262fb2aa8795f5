package org.jmls.ds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.crypto.CipherSuite;
import org.jmls.crypto.KeyPair;
import org.jmls.crypto.MlsCrypto;
import org.jmls.group.GroupServices;
import org.jmls.group.KeyPackageBundle;
import org.jmls.group.KeyPackages;
import org.jmls.message.Credential;
import org.jmls.message.Lifetime;
import org.jmls.message.MlsMessage;
import org.jmls.service.Database;
import org.jmls.service.Databases;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every storage test runs against SQLite and PostgreSQL. */
class KeyPackageDirectoryTest {
  private static final CipherSuite SUITE = CipherSuite.MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519;
  private static final GroupServices S = GroupServices.development();
  private static final MlsCrypto C = S.provider().suite(SUITE);

  private static Bytes kp(KeyPair sig, String who, long notAfter) throws Exception {
    long now = S.clock().instant().getEpochSecond();
    KeyPackageBundle b = KeyPackages.create(C, new Credential.Basic(Bytes.wrap(who.getBytes())), sig,
        KeyPackages.defaultCapabilities(SUITE), new Lifetime(now - 60, notAfter), List.of(), List.of());
    return MlsMessage.of(b.keyPackage()).toBytes();
  }

  private static KeyPackageDirectory.Client device(KeyPackageDirectory dir, String user, String device, KeyPair sig) throws Exception {
    KeyPackageDirectory.Client c = new KeyPackageDirectory.Client(user + "/" + device, user, sig.publicKey(),
        new Credential.Basic(Bytes.wrap(user.getBytes())).toBytes());
    dir.register(c);
    return c;
  }

  private static long future() {
    return S.clock().instant().getEpochSecond() + 86400;
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void hundredConcurrentClaims_tenOneTimeKeyPackages_thenOnlyLastResort(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      KeyPair sig = C.generateSignatureKeyPair();
      KeyPackageDirectory.Client bob = device(dir, "bob@example.com", "phone", sig);
      List<KeyPackageDirectory.Upload> batch = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        batch.add(new KeyPackageDirectory.Upload(kp(sig, "bob", future()), false));
      }
      batch.add(new KeyPackageDirectory.Upload(kp(sig, "bob", future()), true));
      assertEquals(11, dir.upload(bob.clientId(), batch));

      ExecutorService pool = Executors.newFixedThreadPool(16);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<KeyPackageDirectory.Claimed>>> claims = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        claims.add(pool.submit(() -> {
          start.await();
          return dir.claim("bob@example.com", SUITE.id());
        }));
      }
      start.countDown();
      Set<Bytes> oneTime = new HashSet<>();
      List<Bytes> lastResort = Collections.synchronizedList(new ArrayList<>());
      for (Future<List<KeyPackageDirectory.Claimed>> f : claims) {
        List<KeyPackageDirectory.Claimed> got = f.get();
        assertEquals(1, got.size());
        if (got.get(0).lastResort()) {
          lastResort.add(got.get(0).keyPackageMessage());
        } else {
          assertTrue(oneTime.add(got.get(0).keyPackageMessage()), "a one-time KeyPackage was handed out twice");
        }
      }
      pool.shutdown();
      assertEquals(10, oneTime.size());
      assertEquals(90, lastResort.size());
      assertEquals(1, new HashSet<>(lastResort).size());
      KeyPackageDirectory.Stock stock = dir.stock(bob.clientId()).get(0);
      assertEquals(0, stock.oneTimeLeft());
      assertTrue(stock.low());
      assertTrue(stock.rotateLastResort());
      assertEquals(10, dir.prune());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void claim_oneKeyPackagePerDeviceOfTheUser(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      for (String dev : new String[] {"laptop", "phone"}) {
        KeyPair sig = C.generateSignatureKeyPair();
        KeyPackageDirectory.Client c = device(dir, "carol@example.com", dev, sig);
        dir.upload(c.clientId(), List.of(new KeyPackageDirectory.Upload(kp(sig, "carol", future()), false)));
      }
      List<KeyPackageDirectory.Claimed> got = dir.claim("carol@example.com", SUITE.id());
      assertEquals(List.of("carol@example.com/laptop", "carol@example.com/phone"), got.stream().map(KeyPackageDirectory.Claimed::clientId).toList());
      assertEquals(List.of(), dir.claim("carol@example.com", SUITE.id()));
      assertEquals(List.of(), dir.claim("carol@example.com", 2));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void upload_refusesForeignExpiredOrCorruptKeyPackages_writesNothing(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      KeyPair sig = C.generateSignatureKeyPair();
      KeyPackageDirectory.Client dave = device(dir, "dave@example.com", "phone", sig);
      Bytes good = kp(sig, "dave", future());
      Bytes foreign = kp(C.generateSignatureKeyPair(), "mallory", future());
      assertEquals("ds.foreign-key-package", assertThrows(ValidationException.class, () -> dir.upload(dave.clientId(),
          List.of(new KeyPackageDirectory.Upload(good, false), new KeyPackageDirectory.Upload(foreign, false)))).ruleId());
      Bytes expired = kp(sig, "dave", S.clock().instant().getEpochSecond() - 10);
      assertEquals("rfc9420-7.3.lifetime", assertThrows(ValidationException.class,
          () -> dir.upload(dave.clientId(), List.of(new KeyPackageDirectory.Upload(expired, false)))).ruleId());
      byte[] corrupt = good.toByteArray();
      corrupt[corrupt.length - 3] ^= 1;
      assertEquals("rfc9420-10.1.signature", assertThrows(ValidationException.class,
          () -> dir.upload(dave.clientId(), List.of(new KeyPackageDirectory.Upload(Bytes.wrap(corrupt), false)))).ruleId());
      assertEquals("ds.key-package-decode", assertThrows(ValidationException.class,
          () -> dir.upload(dave.clientId(), List.of(new KeyPackageDirectory.Upload(Bytes.wrap(new byte[] {1, 2}), false)))).ruleId());
      assertEquals(List.of(), dir.stock(dave.clientId()));
      assertEquals("ds.client-key-mismatch", assertThrows(ValidationException.class,
          () -> dir.register(new KeyPackageDirectory.Client(dave.clientId(), dave.userId(), C.generateSignatureKeyPair().publicKey(),
              dave.credential()))).ruleId());
    }
  }

  /**
   * A device's unclaimed one-time KeyPackages are bounded: an upload that would pass the bound is
   * refused whole, with its rule, and stores nothing; a last-resort KeyPackage still replaces the
   * old one; claims make room again.
   */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgres"})
  void upload_beyondTheBoundPerDevice_refusedWhole_claimsMakeRoom(String db) throws Exception {
    try (Database d = Databases.freshWith(db, "db/ds")) {
      KeyPackageDirectory dir = new KeyPackageDirectory(d, S);
      dir.maxPerDevice(3);
      KeyPair sig = C.generateSignatureKeyPair();
      KeyPackageDirectory.Client dan = device(dir, "dan@example.com", "phone", sig);
      assertEquals(2, dir.upload(dan.clientId(), List.of(new KeyPackageDirectory.Upload(kp(sig, "dan", future()), false),
          new KeyPackageDirectory.Upload(kp(sig, "dan", future()), false))));
      List<KeyPackageDirectory.Upload> two = List.of(new KeyPackageDirectory.Upload(kp(sig, "dan", future()), false),
          new KeyPackageDirectory.Upload(kp(sig, "dan", future()), false));
      org.jmls.ValidationException e = org.junit.jupiter.api.Assertions.assertThrows(org.jmls.ValidationException.class,
          () -> dir.upload(dan.clientId(), two));
      assertEquals("ds.key-package-limit", e.ruleId(), e.getMessage());
      assertEquals(409, org.jmls.service.ServiceHttp.statusFor(e.ruleId()));
      assertEquals(2, dir.stock(dan.clientId()).get(0).oneTimeLeft(), "nothing of the refused upload was stored");
      assertEquals(1, dir.upload(dan.clientId(), List.of(new KeyPackageDirectory.Upload(kp(sig, "dan", future()), true))));
      assertEquals(1, dir.upload(dan.clientId(), List.of(new KeyPackageDirectory.Upload(kp(sig, "dan", future()), false))));
      assertThrows(org.jmls.ValidationException.class,
          () -> dir.upload(dan.clientId(), List.of(new KeyPackageDirectory.Upload(kp(sig, "dan", future()), false))));
      dir.claim("dan@example.com", SUITE.id());
      assertEquals(1, dir.upload(dan.clientId(), List.of(new KeyPackageDirectory.Upload(kp(sig, "dan", future()), false))));
      assertEquals(3, dir.stock(dan.clientId()).get(0).oneTimeLeft());
    }
  }
}
