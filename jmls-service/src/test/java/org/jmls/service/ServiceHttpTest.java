package org.jmls.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The status a refusal gets from its rule id, the same for every service. */
class ServiceHttpTest {
  @Test
  void statusFor_unknownIs404_permissionIs403_restIs400() {
    assertEquals(404, ServiceHttp.statusFor("ds.unknown-group"));
    assertEquals(404, ServiceHttp.statusFor("as.unknown-certificate"));
    assertEquals(404, ServiceHttp.statusFor("as.unknown-device"));
    assertEquals(403, ServiceHttp.statusFor("ds.not-a-member"));
    assertEquals(403, ServiceHttp.statusFor("as.admin-required"));
    assertEquals(403, ServiceHttp.statusFor("ds.external-joins-disabled"));
    assertEquals(400, ServiceHttp.statusFor("as.user-id"));
    assertEquals(400, ServiceHttp.statusFor("ds.stale-epoch-ish"));
    assertEquals(400, ServiceHttp.statusFor("norule"));
  }
}
