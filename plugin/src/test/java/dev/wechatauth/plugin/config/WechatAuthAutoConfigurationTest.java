package dev.wechatauth.plugin.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.wechatauth.plugin.error.JsonErrorWebExceptionHandler;
import dev.wechatauth.plugin.accesstoken.AccessTokens;
import dev.wechatauth.plugin.decrypt.DecryptRoute;
import dev.wechatauth.plugin.endpoints.SessionEndpoints;
import dev.wechatauth.plugin.identity.RequiredSession;
import dev.wechatauth.plugin.logging.SecretLogGuardRegistration;
import dev.wechatauth.plugin.phone.PhoneNumbers;
import dev.wechatauth.plugin.phone.PhoneRoute;
import dev.wechatauth.plugin.identity.IdentityForwarding;
import dev.wechatauth.plugin.login.LoginRoute;
import dev.wechatauth.plugin.login.DuplicateLoginWindow;
import dev.wechatauth.plugin.session.CachedSessionStore;
import dev.wechatauth.plugin.session.RedisSessionStore;
import dev.wechatauth.plugin.wechat.WechatCallGuard;
import dev.wechatauth.plugin.session.SessionStore;
import dev.wechatauth.plugin.routing.RequestPathGuard;
import dev.wechatauth.plugin.routing.RoutePolicyFilter;
import dev.wechatauth.plugin.wechat.MiniPrograms;
import dev.wechatauth.plugin.wechat.WechatClient;
import dev.wechatauth.plugin.support.EmptySessionStore;
import dev.wechatauth.testkit.FreePort;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.LettuceClientConfigurationBuilderCustomizer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.webflux.autoconfigure.HttpHandlerAutoConfiguration;
import org.springframework.boot.webflux.autoconfigure.WebFluxAutoConfiguration;
import org.springframework.boot.webflux.autoconfigure.error.ErrorWebFluxAutoConfiguration;
import org.springframework.boot.webflux.error.ErrorWebExceptionHandler;
import org.springframework.cloud.gateway.config.GatewayAutoConfiguration;
import org.springframework.cloud.gateway.filter.GlobalFilter;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.AnnotationAwareOrderComparator;
import org.springframework.core.env.Environment;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.support.SpringFactoriesLoader;
import org.springframework.web.server.WebExceptionHandler;
import org.springframework.web.server.WebFilter;

class WechatAuthAutoConfigurationTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    private final ReactiveWebApplicationContextRunner runner = new ReactiveWebApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(
                    JacksonAutoConfiguration.class,
                    SslAutoConfiguration.class,
                    DataRedisAutoConfiguration.class,
                    DataRedisReactiveAutoConfiguration.class,
                    WebFluxAutoConfiguration.class,
                    HttpHandlerAutoConfiguration.class,
                    ErrorWebFluxAutoConfiguration.class,
                    GatewayAutoConfiguration.class,
                    WechatAuthAutoConfiguration.class))
            // nothing listens there: the context must start without reaching Redis
            .withPropertyValues("spring.data.redis.host=127.0.0.1", "spring.data.redis.port=" + FreePort.next());

    private ReactiveWebApplicationContextRunner withOneApp() {
        return runner.withPropertyValues("wechat.auth.apps[0].appid=wx_app_one", "wechat.auth.apps[0].secret=" + SECRET);
    }

    @Test
    void autoConfigurationImportsWhenReadThenListsThePlugin() {
        List<String> candidates = new ArrayList<>();
        ImportCandidates.load(AutoConfiguration.class, getClass().getClassLoader()).forEach(candidates::add);

        assertThat(candidates).contains(WechatAuthAutoConfiguration.class.getName());
    }

    @Nested
    class Enabled {

        @Test
        void contextWhenAnAppIsConfiguredThenEveryPluginBeanIsPresent() {
            withOneApp().run(context -> {
                assertThat(context).hasNotFailed();
                assertThat(context).hasSingleBean(WechatAuthSettings.class);
                assertThat(context).hasSingleBean(IdentityForwarding.class);
                assertThat(context).hasSingleBean(LoginRoute.class);
                assertThat(context).hasSingleBean(RoutePolicyFilter.class);
                assertThat(context).hasSingleBean(RequestPathGuard.class);
                assertThat(context).hasSingleBean(SessionEndpoints.class);
                assertThat(context).hasSingleBean(JsonErrorWebExceptionHandler.class);
                assertThat(context).hasSingleBean(WechatClient.class);
                assertThat(context).hasSingleBean(SessionStore.class);
                assertThat(context.getBean(SessionStore.class)).isInstanceOf(CachedSessionStore.class);
                assertThat(context).hasSingleBean(WechatCallGuard.class);
                assertThat(context).hasSingleBean(DuplicateLoginWindow.class);
                assertThat(context).hasSingleBean(PhoneRoute.class);
                assertThat(context).hasSingleBean(DecryptRoute.class);
                assertThat(context).hasSingleBean(AccessTokens.class);
                assertThat(context).hasSingleBean(PhoneNumbers.class);
                assertThat(context).hasSingleBean(RequiredSession.class);
                assertThat(context).hasSingleBean(SecretLogGuardRegistration.class);
                assertThat(context.getBean(SecretLogGuardRegistration.class).isActive()).isTrue();
                assertThat(context.getBeansOfType(GlobalFilter.class).values())
                        .hasAtLeastOneElementOfType(RoutePolicyFilter.class);
                assertThat(context.getBeansOfType(WebFilter.class).values())
                        .hasAtLeastOneElementOfType(RequestPathGuard.class)
                        .hasAtLeastOneElementOfType(SessionEndpoints.class);
                assertThat(context.getBean(MiniPrograms.class).defaultApp().appid()).isEqualTo("wx_app_one");
            });
        }

        @Test
        void contextWhenTheSessionCacheIsOffThenSessionsAreLookedUpInRedisOnly() {
            withOneApp().withPropertyValues("wechat.auth.session.cache-size=0").run(context -> {
                assertThat(context).hasSingleBean(SessionStore.class);
                assertThat(context.getBean(SessionStore.class)).isInstanceOf(RedisSessionStore.class);
                assertThat(context).doesNotHaveBean(CachedSessionStore.class);
            });
        }

        @Test
        void contextWhenStartedThenTheJsonErrorHandlerAnswersBeforeEveryOtherHandler() {
            withOneApp().run(context -> {
                List<WebExceptionHandler> handlers = new ArrayList<>(
                        context.getBeansOfType(WebExceptionHandler.class).values());
                AnnotationAwareOrderComparator.sort(handlers);

                assertThat(handlers).isNotEmpty();
                assertThat(handlers.get(0)).isInstanceOf(JsonErrorWebExceptionHandler.class);
                // Spring Boot's DefaultErrorWebExceptionHandler either backs off or comes later
                for (ErrorWebExceptionHandler other : context.getBeansOfType(ErrorWebExceptionHandler.class).values()) {
                    if (!(other instanceof JsonErrorWebExceptionHandler)) {
                        assertThat(handlers.indexOf(other)).isGreaterThan(0);
                    }
                }
            });
        }

        @Test
        void contextWhenStartedThenThePathGuardIsTheFirstWebFilterAndThePolicyFilterPrecedesRouting() {
            withOneApp().run(context -> {
                List<WebFilter> filters = new ArrayList<>(context.getBeansOfType(WebFilter.class).values());
                AnnotationAwareOrderComparator.sort(filters);
                assertThat(filters.get(0)).isInstanceOf(RequestPathGuard.class);
                assertThat(indexOfType(filters, SessionEndpoints.class)).isGreaterThan(0);

                List<GlobalFilter> globalFilters = new ArrayList<>(context.getBeansOfType(GlobalFilter.class).values());
                AnnotationAwareOrderComparator.sort(globalFilters);
                int policy = indexOfType(globalFilters, RoutePolicyFilter.class);
                for (GlobalFilter gatewayFilter : globalFilters) {
                    if (gatewayFilter.getClass().getName().startsWith("org.springframework.cloud.gateway.filter.Netty")) {
                        assertThat(globalFilters.indexOf(gatewayFilter))
                                .as("%s runs after the route policy", gatewayFilter.getClass().getSimpleName())
                                .isGreaterThan(policy);
                    }
                }
            });
        }

        @Test
        void contextWhenStartedThenRedisIsTunedToFailFast() {
            withOneApp().withPropertyValues("wechat.auth.session.store-timeout=750ms").run(context -> {
                assertThat(context.getBeansOfType(LettuceClientConfigurationBuilderCustomizer.class)).isNotEmpty();
                var configuration = org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration.builder();
                context.getBeansOfType(LettuceClientConfigurationBuilderCustomizer.class).values()
                        .forEach(customizer -> customizer.customize(configuration));
                assertThat(configuration.build().getCommandTimeout()).isEqualTo(Duration.ofMillis(750));
            });
        }

        @Test
        void contextWhenUserDefinesASessionStoreThenTheirsWins() {
            withOneApp().withUserConfiguration(OwnSessionStore.class).run(context -> {
                assertThat(context).hasNotFailed();
                assertThat(context).hasSingleBean(SessionStore.class);
                assertThat(context.getBean(SessionStore.class)).isInstanceOf(EmptySessionStore.class);
                assertThat(context).doesNotHaveBean(RedisSessionStore.class);
                assertThat(context).hasSingleBean(IdentityForwarding.class);
            });
        }

        @Test
        void contextWhenTwoAppsConfiguredThenBothServed() {
            withOneApp().withPropertyValues("wechat.auth.apps[1].appid=wx_app_two", "wechat.auth.apps[1].secret=other")
                    .run(context -> {
                        MiniPrograms apps = context.getBean(MiniPrograms.class);
                        assertThat(apps.defaultApp().appid()).isEqualTo("wx_app_one");
                        assertThat(apps.app("wx_app_two")).isPresent();
                    });
        }
    }

    @Nested
    class Disabled {

        @Test
        void contextWhenDisabledThenNoneOfThePluginsBeans() {
            runner.withPropertyValues("wechat.auth.enabled=false").run(context -> {
                assertThat(context).hasNotFailed();
                assertThat(context).doesNotHaveBean(WechatAuthSettings.class);
                assertThat(context).doesNotHaveBean(WechatAuthProperties.class);
                assertThat(context).doesNotHaveBean(RoutePolicyFilter.class);
                assertThat(context).doesNotHaveBean(LoginRoute.class);
                assertThat(context).doesNotHaveBean(RequestPathGuard.class);
                assertThat(context).doesNotHaveBean(SessionEndpoints.class);
                assertThat(context).doesNotHaveBean(JsonErrorWebExceptionHandler.class);
                assertThat(context).doesNotHaveBean(WechatClient.class);
                assertThat(context).doesNotHaveBean(SessionStore.class);
                for (String name : context.getBeanDefinitionNames()) {
                    Class<?> type = context.getType(name);
                    assertThat(type == null ? name : type.getName()).as("bean %s", name)
                            .doesNotStartWith("dev.wechatauth.plugin");
                }
                assertThat(context).hasSingleBean(ErrorWebExceptionHandler.class);
            });
        }

        @Test
        void contextWhenDisabledWithAnAppConfiguredThenStillNoPluginBeans() {
            withOneApp().withPropertyValues("wechat.auth.enabled=false").run(context -> {
                assertThat(context).hasNotFailed();
                assertThat(context).doesNotHaveBean(RoutePolicyFilter.class);
                assertThat(context).doesNotHaveBean(LoginRoute.class);
            });
        }
    }

    @Nested
    class Misconfigured {

        @Test
        void contextWhenNoAppConfiguredThenFailsNamingTheProperty() {
            runner.run(context -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                        .isInstanceOf(InvalidSettingsException.class)
                        .hasMessageContaining("wechat.auth.apps");
            });
        }

        @Test
        void contextWhenSecretHasWhiteSpaceThenFailsWithoutShowingTheSecret() {
            runner.withPropertyValues("wechat.auth.apps[0].appid=wx_app_one",
                    "wechat.auth.apps[0].secret=topsecret withspace").run(context -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause()
                        .isInstanceOf(InvalidSettingsException.class)
                        .hasMessageContaining("wechat.auth.apps[0].secret");
                for (Throwable failure = context.getStartupFailure(); failure != null; failure = failure.getCause()) {
                    assertThat(String.valueOf(failure.getMessage())).doesNotContain("topsecret");
                }
            });
        }

        @Test
        void contextWhenAppidMalformedThenFailsNamingTheAppid() {
            runner.withPropertyValues("wechat.auth.apps[0].appid=wx.app", "wechat.auth.apps[0].secret=" + SECRET)
                    .run(context -> assertThat(context.getStartupFailure()).rootCause()
                            .isInstanceOf(InvalidSettingsException.class)
                            .hasMessageContaining("wechat.auth.apps[0].appid"));
        }

        @Test
        void failureAnalyzerWhenRegisteredThenDescribesTheFailureInOneLine() {
            // the way Spring Boot's FailureAnalyzers loads them: some of Boot's own need the bean factory
            List<FailureAnalyzer> analyzers = SpringFactoriesLoader.forDefaultResourceLocation(getClass().getClassLoader())
                    .load(FailureAnalyzer.class, SpringFactoriesLoader.ArgumentResolver
                            .of(BeanFactory.class, new DefaultListableBeanFactory())
                            .and(Environment.class, new StandardEnvironment()));
            List<FailureAnalyzer> ours = analyzers.stream()
                    .filter(analyzer -> analyzer instanceof InvalidSettingsFailureAnalyzer).toList();
            assertThat(ours).hasSize(1);

            runner.withPropertyValues("wechat.auth.apps[0].appid=wx_app_one",
                    "wechat.auth.apps[0].secret=topsecret\twithtab").run(context -> {
                FailureAnalysis analysis = ours.get(0).analyze(context.getStartupFailure());
                assertThat(analysis).isNotNull();
                assertThat(analysis.getDescription()).contains("wechat.auth.apps[0].secret")
                        .doesNotContain("\n").doesNotContain("\r").doesNotContain("topsecret");
                assertThat(analysis.getAction()).isNotBlank().doesNotContain("topsecret");
            });
        }

        @Test
        void failureAnalyzerWhenAnotherFailureThenStaysOut() {
            FailureAnalysis analysis = new InvalidSettingsFailureAnalyzer().analyze(new IllegalStateException("other"));

            assertThat(analysis).isNull();
        }
    }

    // --- helpers ---

    private static int indexOfType(List<?> items, Class<?> type) {
        for (int i = 0; i < items.size(); i++) {
            if (type.isInstance(items.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in " + items);
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnSessionStore {

        @Bean
        SessionStore ownSessionStore() {
            return new EmptySessionStore(); // keeps nothing: enough to see that it replaces the plugin's
        }
    }
}
