package dev.wechatauth.examples.orders;

import java.util.Map;

import org.springframework.security.core.annotation.AuthenticationPrincipal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/** The user's orders: the openid is the verified JWT's {@code sub}, never a header a caller could write. */
@RestController
class OrdersController {

    @GetMapping("/api/orders/{id}")
    Map<String, String> order(@PathVariable String id, @AuthenticationPrincipal Jwt identity) {
        return Map.of("id", id, "openid", identity.getSubject(), "appid", identity.getClaimAsString("appid"),
                "session", identity.getClaimAsString("sid"));
    }
}
