package dev.wechatauth.plugin.identity;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.HttpHeaders;

class BearerTokenTest {

    private static final String TOKEN = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo";

    @Test
    void fromWhenNoAuthorizationHeaderThenNone() {
        BearerToken bearer = BearerToken.from(new HttpHeaders());

        assertThat(bearer.kind()).isEqualTo(BearerToken.Kind.NONE);
        assertThat(bearer.token()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Basic dXNlcjpwYXNz", "Digest username=\"x\"", "Token " + TOKEN, "Bearerx",
            "Bearer" + TOKEN, "Bearerx " + TOKEN, "", "B", "Bear", "MAC " + TOKEN})
    void fromWhenAnotherSchemeThenNone(String value) {
        assertThat(BearerToken.from(headers(value)).kind()).isEqualTo(BearerToken.Kind.NONE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bearer", "bearer", "BEARER", "bEaReR"})
    void fromWhenSchemeInAnyLetterCaseThenPresent(String scheme) {
        BearerToken bearer = BearerToken.from(headers(scheme + " " + TOKEN));

        assertThat(bearer.kind()).isEqualTo(BearerToken.Kind.PRESENT);
        assertThat(bearer.token()).isEqualTo(TOKEN);
    }

    @ParameterizedTest
    @ValueSource(strings = {"Bearer", "Bearer ", "Bearer    ", "bearer  "})
    void fromWhenBearerWithoutValueThenMalformed(String value) {
        assertThat(BearerToken.from(headers(value)).kind()).isEqualTo(BearerToken.Kind.MALFORMED);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoa",
            "Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWoo",
            "Bearer " + "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo" + "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo",
            "Bearer x",
            "Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoa+",
            "Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoa/",
            "Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoa=",
            "Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoa.",
            "Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoa\u00e9",
            "Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoa\"",
            "Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo",
            "Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo,Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo",
            "Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo, Basic dXNlcjpwYXNz",
            "Bearer Zm9vYmFyYmF6cXV4MTIz NDU2Nzg5MGFiY2RlZmdoaWo",
            "Bearer Bearer Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo",
    })
    void fromWhenBearerValueMalformedThenMalformed(String value) {
        BearerToken bearer = BearerToken.from(headers(value));

        assertThat(bearer.kind()).isEqualTo(BearerToken.Kind.MALFORMED);
        assertThat(bearer.token()).isNull();
    }

    @Test
    void fromWhenTwoAuthorizationHeadersThenDuplicate() {
        HttpHeaders headers = new HttpHeaders();
        headers.add(HttpHeaders.AUTHORIZATION, "Bearer " + TOKEN);
        headers.add(HttpHeaders.AUTHORIZATION, "Bearer " + TOKEN);

        assertThat(BearerToken.from(headers).kind()).isEqualTo(BearerToken.Kind.DUPLICATE);
    }

    @Test
    void fromWhenTwoAuthorizationHeadersOfDifferentSchemesAndCaseThenDuplicate() {
        HttpHeaders headers = new HttpHeaders();
        headers.add("Authorization", "Basic dXNlcjpwYXNz");
        headers.add("authorization", "Bearer " + TOKEN);

        BearerToken bearer = BearerToken.from(headers);

        assertThat(bearer.kind()).isEqualTo(BearerToken.Kind.DUPLICATE);
        assertThat(bearer.token()).isNull();
    }

    @Test
    void toStringWhenTokenPresentThenDoesNotShowIt() {
        assertThat(BearerToken.from(headers("Bearer " + TOKEN)).toString()).doesNotContain(TOKEN);
    }

    private static HttpHeaders headers(String authorization) {
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.AUTHORIZATION, authorization);
        return headers;
    }
}
