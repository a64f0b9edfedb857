package dev.wechatauth.examples.orders;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * An example service behind wechat-auth-gateway. It believes who the user is only from the gateway's signed identity
 * JWT, verified with the gateway's JWK Set (see {@code application.yml}); a request that reaches it by another way,
 * or with a JWT made for another route, gets 401.
 */
@SpringBootApplication
public class OrdersApplication {

    public static void main(String[] args) {
        SpringApplication.run(OrdersApplication.class, args);
    }
}
