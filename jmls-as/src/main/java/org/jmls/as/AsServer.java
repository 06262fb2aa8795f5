package org.jmls.as;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jmls.Bytes;
import org.jmls.ValidationException;
import org.jmls.service.ServiceHttp;

/**
 * The Authentication Service over HTTP, under {@code /as/}. Operator actions (accounts, invites,
 * revocation, audit) need {@code Authorization: Bearer <admin token>}; enrolment needs an invite
 * code or the admin token (or development mode). Errors are JSON like the DS's.
 */
public final class AsServer {
  private final AuthenticationService as;
  private final byte[] adminToken;

  private AsServer(AuthenticationService as, String adminToken) {
    this.as = as;
    this.adminToken = adminToken.getBytes(StandardCharsets.UTF_8);
  }

  /** Installs the AS routes on {@code app}. */
  public static AsServer install(Javalin app, AuthenticationService as, String adminToken) {
    AsServer s = new AsServer(as, adminToken);
    s.routes(app);
    return s;
  }

  private boolean admin(Context ctx) {
    String h = ctx.header("Authorization");
    return h != null && h.startsWith("Bearer ")
        && MessageDigest.isEqual(h.substring(7).getBytes(StandardCharsets.UTF_8), adminToken);
  }

  private void requireAdmin(Context ctx) throws ValidationException {
    if (!admin(ctx)) {
      throw new ValidationException("as.admin-required", "this operation needs the operator's admin token");
    }
  }

  private static Map<?, ?> json(Context ctx) throws ValidationException {
    try {
      Map<?, ?> m = ctx.bodyAsClass(Map.class);
      if (m == null) {
        throw new ValidationException("as.request-body", "a JSON object body is required");
      }
      return m;
    } catch (RuntimeException e) {
      throw new ValidationException("as.request-body", "the body is not a JSON object");
    }
  }

  private static String str(Map<?, ?> m, String f) throws ValidationException {
    Object v = m.get(f);
    if (!(v instanceof String) || ((String) v).isEmpty()) {
      throw new ValidationException("as.request-field", "field '" + f + "' (text) is missing");
    }
    return (String) v;
  }

  private static byte[] b64(Map<?, ?> m, String f) throws ValidationException {
    try {
      return Base64.getDecoder().decode(str(m, f));
    } catch (IllegalArgumentException e) {
      throw new ValidationException("as.request-field", "field '" + f + "' is not base64");
    }
  }

  private static long num(Map<?, ?> m, String f) throws ValidationException {
    Object v = m.get(f);
    if (!(v instanceof Number)) {
      throw new ValidationException("as.request-field", "field '" + f + "' (number) is missing");
    }
    return ((Number) v).longValue();
  }

  private void routes(Javalin app) {
    ServiceHttp.installCommon(app);

    app.get("/as/root", ctx -> ctx.contentType("application/pkix-cert").result(as.root().getEncoded()));

    app.post("/as/accounts", ctx -> {
      requireAdmin(ctx);
      String user = str(json(ctx), "user");
      as.createAccount(user, "operator");
      ctx.status(201).json(Map.of("user", user));
    });

    app.get("/as/accounts", ctx -> {
      requireAdmin(ctx);
      List<Map<String, Object>> accounts = new java.util.ArrayList<>();
      for (AuthenticationService.Account a : as.accounts()) {
        List<Map<String, Object>> certs = new java.util.ArrayList<>();
        for (AuthenticationService.DeviceCertificate d : a.certificates()) {
          Map<String, Object> m = new java.util.LinkedHashMap<>();
          m.put("device", d.device());
          m.put("serial", d.serial());
          m.put("notAfter", d.notAfter());
          m.put("revokedAt", d.revokedAt());
          certs.add(m);
        }
        accounts.add(Map.of("user", a.user(), "createdAt", a.createdAt(), "certificates", certs));
      }
      ctx.json(Map.of("accounts", accounts));
    });

    app.post("/as/invites", ctx -> {
      requireAdmin(ctx);
      Map<?, ?> body = json(ctx);
      long seconds = body.get("seconds") instanceof Number ? ((Number) body.get("seconds")).longValue() : 7 * 86400;
      if (seconds < 60 || seconds > 366L * 86400) {
        throw new ValidationException("as.invite-lifetime", "an invite is valid for 60 seconds to 366 days");
      }
      ctx.status(201).json(Map.of("code", as.createInvite(str(body, "user"), seconds, "operator")));
    });

    app.post("/as/enrol", ctx -> {
      Map<?, ?> body = json(ctx);
      Object invite = body.get("inviteCode");
      AuthenticationService.Issued issued = as.enrol(new AuthenticationService.Enrolment(str(body, "user"), str(body, "device"),
          (int) num(body, "cipherSuite"), Bytes.wrap(b64(body, "signatureKey")), num(body, "timestamp"),
          Bytes.wrap(b64(body, "proof")), invite instanceof String ? (String) invite : null, admin(ctx)));
      ctx.status(201).json(Map.of("credential", Base64.getEncoder().encodeToString(issued.credential().toByteArray()),
          "serial", issued.serial(), "notAfter", issued.notAfter()));
    });

    app.post("/as/renew", ctx -> {
      Map<?, ?> body = json(ctx);
      AuthenticationService.Issued issued = as.renew(str(body, "serial"), num(body, "timestamp"), Bytes.wrap(b64(body, "proof")));
      ctx.status(201).json(Map.of("credential", Base64.getEncoder().encodeToString(issued.credential().toByteArray()),
          "serial", issued.serial(), "notAfter", issued.notAfter()));
    });

    app.post("/as/revoke", ctx -> {
      requireAdmin(ctx);
      Map<?, ?> body = json(ctx);
      if (body.get("client") instanceof String) {
        String client = (String) body.get("client");
        int slash = client.indexOf('/');
        if (slash <= 0 || slash == client.length() - 1) {
          throw new ValidationException("as.client-id", "a device is named user@domain/device");
        }
        ctx.json(Map.of("revoked", as.revokeDevice(client.substring(0, slash), client.substring(slash + 1), "operator")));
        return;
      }
      String serial = str(body, "serial");
      as.revoke(serial, "operator");
      ctx.json(Map.of("revoked", List.of(serial)));
    });

    app.get("/as/status/{serial}", ctx -> {
      String serial = ctx.pathParam("serial");
      if (!serial.matches("[0-9a-f]{1,64}")) {
        throw new ValidationException("as.serial", "a serial is lowercase hex");
      }
      ctx.json(Map.of("serial", serial, "revoked", as.isRevoked(serial)));
    });

    app.get("/as/revocations", ctx -> {
      AuthenticationService.RevocationList l = as.revocationList();
      ctx.json(Map.of("serials", l.serials().isEmpty() ? List.of() : List.of(l.serials().split("\n")), "issuedAt", l.issuedAt(),
          "signature", Base64.getEncoder().encodeToString(l.signature().unsafeArray())));
    });

    app.get("/as/audit", ctx -> {
      requireAdmin(ctx);
      ctx.json(Map.of("entries", as.audit()));
    });
  }
}
