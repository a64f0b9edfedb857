package dev.wechatauth.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.wechatauth.gateway.rig.Gateways;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The playground in a real browser: headless Chromium (Debian's {@code chromium} and {@code chromium-driver}; other
 * places with {@code CHROME_BINARY} and {@code CHROMEDRIVER}) logs a simulated user in with the client library, calls
 * a required route and sees {@code X-OpenId} among what the backend received, then logs out and sees the 401 (the page
 * is saved as {@code target/playground.png}); gets a phone number and decrypts sandbox data, on the gateway and for a
 * service. Without Chromium the tests are skipped, saying why.
 */
class PlaygroundBrowserTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private static final Optional<Path> CHROMIUM = executable("CHROME_BINARY", "/usr/bin/chromium",
            "/usr/bin/chromium-browser");
    private static final Optional<Path> DRIVER = executable("CHROMEDRIVER", "/usr/bin/chromedriver",
            "/usr/lib/chromium/chromedriver");

    private static WebDriver browser;

    /** Each test starts on a freshly loaded page; the browser is started once, and each test is skipped without it. */
    @BeforeEach
    void openThePlayground() {
        Assumptions.assumeTrue(CHROMIUM.isPresent() && DRIVER.isPresent(),
                "no Chromium here: install Debian's chromium and chromium-driver (.ci/run does), or set CHROME_BINARY"
                        + " and CHROMEDRIVER; found browser " + CHROMIUM + ", driver " + DRIVER);
        if (browser == null) {
            ChromeOptions options = new ChromeOptions()
                    .setBinary(CHROMIUM.get().toFile())
                    .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--window-size=1400,1100", "--lang=en-US");
            browser = new ChromeDriver(new ChromeDriverService.Builder()
                    .usingDriverExecutable(DRIVER.get().toFile())
                    .usingAnyFreePort()
                    .build(), options);
        }
        browser.get("http://127.0.0.1:" + Gateways.local().port() + "/playground/");
    }

    @AfterAll
    static void closeTheBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void logInCallARequiredRouteSeeTheIdentityThenLogOutAndSee401() throws IOException {
        browser.findElement(By.cssSelector("#user option[value=carol]")).click();
        click("login");
        awaitText("status", "carol has a token");

        click("call-orders");
        awaitText("backend", "X-OpenId");
        String backend = text("backend");
        assertThat(backend).contains("X-AppId", "wx_local_sandbox").containsPattern("local_[0-9a-f]{24}");
        assertThat(text("requests")).contains("GET /api/orders/1", "Authorization", "200");
        screenshot();

        click("logout");
        awaitText("status", "carol is not logged in");
        browser.findElement(By.id("auto-login")).click();
        click("call-orders");

        awaitText("result", "missing_token");
        assertThat(text("result")).contains("401");
        assertThat(text("requests")).contains("GET /api/orders/1").contains("401").doesNotContain("/wx/login");
    }

    @Test
    void thePhoneNumberAndSandboxDataThroughTheGatewayAndToAService() {
        browser.findElement(By.cssSelector("#user option[value=bob]")).click();
        click("login");
        awaitText("status", "bob has a token");

        click("phone");
        awaitText("result", "purePhoneNumber");
        assertThat(text("backend")).contains("the gateway answered this itself");
        click("phone-service");
        awaitText("backend", "X-Phone-Number");
        assertThat(text("backend")).contains("X-Pure-Phone-Number", "X-Phone-Country-Code", "X-OpenId");

        click("decrypt");
        awaitText("result", "stepInfoList");
        assertThat(text("result")).contains("8000").doesNotContain("watermark");
        click("decrypt-service");
        awaitText("backend", "stepInfoList");
        click("decrypt-other");
        awaitText("result", "decrypt_failed");
        assertThat(text("result")).contains("login()");
    }

    private static void click(String id) {
        browser.findElement(By.id(id)).click();
    }

    private static String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    private static void awaitText(String id, String expected) {
        await("#" + id + " to show " + expected).atMost(PATIENCE).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(text(id)).contains(expected));
    }

    private static void screenshot() throws IOException {
        File shot = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE);
        Path target = Path.of("target", "playground.png");
        Files.createDirectories(target.getParent());
        Files.copy(shot.toPath(), target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static Optional<Path> executable(String variable, String... places) {
        String named = System.getenv(variable);
        List<String> candidates = named != null ? List.of(named) : List.of(places);
        return candidates.stream().map(Path::of).filter(Files::isExecutable).findFirst();
    }
}
