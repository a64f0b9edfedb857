package dev.wechatauth.testkit;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

import org.junit.jupiter.api.Test;

class ClosedPortTest {

    @Test
    void refusesConnectionsAndCannotBeTakenByAServer() throws Exception {
        try (ClosedPort closed = ClosedPort.reserve()) {
            for (int i = 0; i < 50; i++) {
                assertThatThrownBy(() -> {
                    try (Socket client = new Socket()) {
                        client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), closed.port()), 5_000);
                    }
                }).isInstanceOf(ConnectException.class);
            }
            assertThatThrownBy(() -> new ServerSocket(closed.port(), 1, InetAddress.getLoopbackAddress()).close())
                    .isInstanceOf(java.net.BindException.class);
        }
    }
}
