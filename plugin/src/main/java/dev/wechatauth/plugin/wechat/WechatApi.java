package dev.wechatauth.plugin.wechat;

/**
 * The WeChat APIs the gateway calls. Each has its own circuit breaker and in-flight bound per mini-program
 * ({@link WechatCallGuard}), so that one failing API (say, the phone number) never stops another (the login).
 */
public enum WechatApi {

    /** {@code GET /sns/jscode2session}: the login. */
    CODE2SESSION("code2session"),
    /** {@code POST /cgi-bin/stable_token}: the access_token. */
    STABLE_TOKEN("stable_token"),
    /** {@code POST /wxa/business/getuserphonenumber}: the phone number. */
    PHONE("phone");

    private final String label;

    WechatApi(String label) {
        this.label = label;
    }

    /** A short lower-case name, as in breaker names and documentation. */
    public String label() {
        return label;
    }
}
