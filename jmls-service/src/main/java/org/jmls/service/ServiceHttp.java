package org.jmls.service;

import io.javalin.Javalin;
import io.javalin.http.Context;
import java.sql.SQLException;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import org.jmls.MlsException;
import org.jmls.ValidationException;

/**
 * The HTTP conventions every jmls service follows, installed once per Javalin app however many
 * services share it: refusals are JSON {@code {"error": rule, "message": text}} with a status that
 * the rule id implies ({@link #statusFor}); storage trouble is 503, anything else unexpected 400 —
 * never a 500; {@code GET /health}.
 */
public final class ServiceHttp {
  private ServiceHttp() {}

  private static final Set<Javalin> INSTALLED = Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

  /** Writes a JSON error body: {"error": rule, "message": text}. */
  public static void error(Context ctx, int status, String rule, String message) {
    ctx.status(status).json(Map.of("error", rule, "message", message));
  }

  /**
   * The HTTP status of a refusal by its rule id {@code service.reason}: 404 when the reason names
   * something unknown ({@code unknown-*}), 403 when it is about permission, 409 when a stated bound
   * is reached ({@code *-limit}: the request is fine, the state it would grow is full), 503 when a
   * federated peer the request needs is unreachable, 401 for a provider request that does not
   * authenticate, else 400.
   */
  public static int statusFor(String rule) {
    String reason = rule.substring(rule.indexOf('.') + 1);
    if (reason.startsWith("unknown-") || reason.equals("tree-unavailable")) {
      return 404;
    }
    if (reason.endsWith("-limit")) {
      return 409;
    }
    switch (reason) {
      case "peer-unavailable": // a federated provider this request needs cannot be reached: retry later
        return 503;
      case "peer-answer": // a federated provider answered what does not verify: its fault, not the caller's
        return 502;
      case "provider-unauthenticated":
        return 401;
      case "foreign-user":
      case "forged-sender":
      case "not-the-hub":
      case "not-a-member":
      case "foreign-key-package":
      case "external-joins-disabled":
      case "unauthorized":
      case "admin-required":
        return 403;
      default:
        return 400;
    }
  }

  /**
   * Installs the error mapping and {@code /health} on {@code app}, once (a second service on the
   * same app finds them there). Handlers for a service's own exceptions can be added after.
   */
  public static void installCommon(Javalin app) {
    if (!INSTALLED.add(app)) {
      return;
    }
    app.exception(ValidationException.class, (e, ctx) -> error(ctx, statusFor(e.ruleId()), e.ruleId(), e.getMessage()));
    app.exception(MlsException.class, (e, ctx) -> error(ctx, 400, "request.invalid", e.getMessage()));
    app.exception(SQLException.class, (e, ctx) -> error(ctx, 503, "service.storage", "storage unavailable; retry"));
    app.exception(Exception.class, (e, ctx) -> error(ctx, 400, "request.bad", String.valueOf(e.getMessage())));
    // A query parameter of the wrong type (?after=x): Javalin's own answer names no rule; ours does, and says which.
    app.exception(io.javalin.validation.ValidationException.class, (e, ctx) -> error(ctx, 400, "request.query",
        "query parameter(s) " + e.getErrors().keySet() + " not of the expected type"));
    // A path or method no route serves: Javalin answers plain text; ours is a JSON error like every other.
    for (int status : new int[] {404, 405}) {
      app.error(status, ctx -> {
        String type = ctx.res().getContentType();
        if (type == null || !type.startsWith("application/json")) {
          error(ctx, status, "request.unknown-route", "no endpoint " + ctx.method() + " " + ctx.path());
        }
      });
    }
    app.get("/health", ctx -> {
      Map<String, Object> out = new java.util.LinkedHashMap<>();
      out.put("status", "ok");
      boolean up = true;
      for (Map.Entry<String, java.util.function.Supplier<Object>> check : CHECKS.getOrDefault(app, Map.of()).entrySet()) {
        Object v;
        try {
          v = check.getValue().get();
        } catch (RuntimeException e) {
          v = false;
        }
        out.put(check.getKey(), v);
        up &= !Boolean.FALSE.equals(v);
      }
      if (!up) {
        out.put("status", "unavailable");
        ctx.status(503);
      }
      ctx.json(out);
    });
  }

  private static final Map<Javalin, Map<String, java.util.function.Supplier<Object>>> CHECKS =
      java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

  /**
   * Adds {@code name} to what {@code GET /health} reports: a value (the node's name), or a boolean
   * check; when a check is false the answer is 503 with {@code "status":"unavailable"}, so a load
   * balancer stops sending requests to this node.
   */
  public static void health(Javalin app, String name, java.util.function.Supplier<Object> check) {
    CHECKS.computeIfAbsent(app, a -> new java.util.concurrent.ConcurrentSkipListMap<>()).put(name, check);
  }
}
