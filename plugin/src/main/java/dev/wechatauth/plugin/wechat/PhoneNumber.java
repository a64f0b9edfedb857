package dev.wechatauth.plugin.wechat;

/**
 * A user's phone number as WeChat's getuserphonenumber gave it, every value checked: {@code phoneNumber} with its
 * country code ({@code ^\+?[0-9]{1,20}$}), {@code purePhoneNumber} without ({@code ^[0-9]{1,20}$}) and
 * {@code countryCode} ({@code ^[0-9]{1,6}$}). Personal data: {@link #toString()} masks it, so that it is in no log line.
 */
public record PhoneNumber(String phoneNumber, String purePhoneNumber, String countryCode) {

    @Override
    public String toString() {
        return "PhoneNumber[******]";
    }
}
