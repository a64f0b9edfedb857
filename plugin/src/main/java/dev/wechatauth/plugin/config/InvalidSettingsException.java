package dev.wechatauth.plugin.config;

/** A {@code wechat.auth} setting that the gateway cannot start with; the message is one line and names it. */
public class InvalidSettingsException extends RuntimeException {

    public InvalidSettingsException(String message) {
        super(message, null, false, false);
    }
}
