#include "binfmt/emulator.hpp"
#include "engine/decide.hpp"

#include "fixtures.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using Catch::Matchers::Contains;
using oci::ActionKind;
using oci::Emulator;
using oci::Facts;
using oci::Policy;

namespace {

const std::string k_qemu_static = "/usr/bin/qemu-aarch64-static";
const std::string k_qemu_dynamic = "/usr/bin/qemu-aarch64";
const std::string k_debian_interp = "/usr/libexec/qemu-binfmt/aarch64-binfmt-P";

Emulator static_emu(const std::string& path, const std::string& resolved = {}) {
    Emulator e;
    e.path = path;
    e.resolved = resolved.empty() ? path : resolved;
    e.usable = true;
    e.is_static = true;
    return e;
}

// What inspect_emulator says about a dynamically linked qemu.
Emulator dynamic_emu(const std::string& path) {
    Emulator e;
    e.path = path;
    e.resolved = path;
    e.usable = false;
    e.is_static = false;
    e.problem = "'" + path + "' is dynamically linked, so inside a container its loader and libraries would be looked "
                "up in the image";
    e.fix = "install the static emulator: apt-get install qemu-user-static";
    return e;
}

// What inspect_emulator says about an interpreter that was deleted after an F registration.
Emulator gone_emu(const std::string& path) {
    Emulator e;
    e.path = path;
    e.usable = false;
    e.problem = "'" + path + "' does not exist";
    return e;
}

// Facts for an arm64 image on an amd64 host with an empty, enabled binfmt_misc; the
// setters below change one thing each, so every table row reads as "base + differences".
class FactsBuilder {
public:
    FactsBuilder() {
        m_f.image = test::platform("linux/arm64");
        m_f.host = test::platform("linux/amd64");
        m_f.head = test::elf_for("linux/arm64");
        m_f.filename = "/bin/busybox";
        m_f.binfmt = oci::BinfmtState{};
    }
    FactsBuilder& native() { m_f.native = true; return *this; }
    FactsBuilder& image(const oci::Platform& p, std::vector<std::uint8_t> head) {
        m_f.image = p;
        m_f.head = std::move(head);
        return *this;
    }
    FactsBuilder& file(const std::string& name) { m_f.filename = name; return *this; }
    FactsBuilder& no_binfmt() { m_f.binfmt.reset(); return *this; }
    FactsBuilder& binfmt_disabled() { m_f.binfmt->enabled = false; return *this; }
    FactsBuilder& handler(const std::string& flags, const std::string& interpreter = k_qemu_static, bool enabled = true,
                          const std::string& platform = "linux/arm64") {
        oci::BinfmtEntry e = oci::registration_for(test::platform(platform), interpreter, flags);
        e.enabled = enabled;
        e.sequence = 1000 - m_f.binfmt->entries.size();
        m_f.binfmt->entries.push_back(e);
        return *this;
    }
    FactsBuilder& extension_handler(const std::string& ext, const std::string& flags) {
        oci::BinfmtEntry e;
        e.name = "ext-" + ext;
        e.type = 'E';
        e.extension = ext;
        e.interpreter = k_qemu_static;
        e.flags = flags;
        m_f.binfmt->entries.push_back(e);
        return *this;
    }
    FactsBuilder& interp(Emulator e) { m_f.handler_interpreter = std::move(e); return *this; }
    FactsBuilder& emulator(Emulator e) { m_f.emulator = std::move(e); return *this; }
    FactsBuilder& reject(Emulator e) { m_f.rejected.push_back(std::move(e)); return *this; }
    FactsBuilder& policy(Policy p) { m_f.policy = p; return *this; }
    FactsBuilder& can_register() { m_f.can_register = true; return *this; }
    // rootless podman: host root unmapped; `instances`: Linux >= 6.7 lets it have its own binfmt_misc
    FactsBuilder& rootless(bool instances) {
        m_f.rootless = true;
        m_f.can_create_instance = instances;
        return *this;
    }
    FactsBuilder& container_userns(bool maps_host_root) {
        m_f.can_register_in_container = true;
        m_f.userns_maps_host_root = maps_host_root;
        return *this;
    }
    FactsBuilder& own_instance() { m_f.binfmt_is_host = false; m_f.can_register = true; return *this; }
    Facts build() const { return m_f; }

private:
    Facts m_f;
};

struct Row {
    std::string name;
    Facts facts;
    ActionKind kind;
    std::vector<std::string> reason_has;
    std::string target = {};      // Mount
    std::string source = {};      // Mount
    std::string entry_interp = {}; // Register
};

std::string register_line_for(const std::string& interpreter) {
    return oci::registration_line(oci::registration_for(test::platform("linux/arm64"), interpreter, "F"));
}

} // namespace

TEST_CASE("decide: table of facts and decisions", "[decide]") {
    using B = FactsBuilder;
    const std::vector<Row> rows{
        // --- nothing to do
        {"native", B().native().build(), ActionKind::Native, {"native platform linux/arm64 on linux/amd64 host"}},
        {"native even without binfmt_misc", B().native().no_binfmt().build(), ActionKind::Native, {"native"}},
        {"native with binfmt_misc globally disabled", B().native().binfmt_disabled().handler("F").build(), ActionKind::Native,
         {"native"}},
        {"native with only a disabled matching entry", B().native().handler("F", k_qemu_static, false).build(),
         ActionKind::Native, {"native"}},
        {"native, but an F entry claims the file first",
         B().image(test::platform("linux/386"), test::elf_for("linux/386")).native()
             .handler("F", "/usr/bin/qemu-i386-static", true, "linux/386").interp(static_emu("/usr/bin/qemu-i386-static")).build(),
         ActionKind::Covered, {"qemu-i386"}},
        {"native, but a no-F entry claims the file first",
         B().image(test::platform("linux/386"), test::elf_for("linux/386")).native()
             .handler("", "/usr/bin/qemu-i386", true, "linux/386").interp(dynamic_emu("/usr/bin/qemu-i386"))
             .emulator(static_emu("/usr/bin/qemu-i386-static")).build(),
         ActionKind::Mount, {}, "/usr/bin/qemu-i386", "/usr/bin/qemu-i386-static"},

        // --- binfmt_misc itself unusable
        {"no binfmt_misc mount", B().no_binfmt().emulator(static_emu(k_qemu_static)).can_register().build(),
         ActionKind::Fail, {"binfmt_misc is not mounted", "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc"}},
        {"binfmt_misc globally disabled",
         B().binfmt_disabled().handler("F").interp(static_emu(k_qemu_static)).emulator(static_emu(k_qemu_static)).can_register().build(),
         ActionKind::Fail, {"disabled host-wide", "echo 1 > /proc/sys/fs/binfmt_misc/status"}},

        // --- an F handler: the kernel holds the interpreter open
        {"F handler, static interpreter", B().handler("F").interp(static_emu(k_qemu_static)).build(), ActionKind::Covered,
         {"F registration 'qemu-aarch64' covers linux/arm64"}},
        {"F handler among other flags", B().handler("POCF").interp(static_emu(k_qemu_static)).build(), ActionKind::Covered,
         {"qemu-aarch64"}},
        {"F handler, interpreter not inspected", B().handler("F").build(), ActionKind::Covered, {"qemu-aarch64"}},
        // With F the kernel uses the file it opened: xarch can change nothing, so it never stops the container.
        {"F handler, dynamic interpreter: covered, with a warning",
         B().handler("F", k_qemu_dynamic).interp(dynamic_emu(k_qemu_dynamic)).build(), ActionKind::Covered, {"qemu-aarch64"}},
        {"F handler, dynamic interpreter, even with a static emulator around",
         B().handler("F", k_qemu_dynamic).interp(dynamic_emu(k_qemu_dynamic)).emulator(static_emu(k_qemu_static)).can_register().build(),
         ActionKind::Covered, {"qemu-aarch64"}},
        {"F handler, interpreter no longer exists", B().handler("F").interp(gone_emu(k_qemu_static)).build(),
         ActionKind::Covered, {"no longer on disk"}},

        // --- a handler without F: the interpreter path must exist inside the container
        {"no-F handler, static interpreter",
         B().handler("PO", k_debian_interp).interp(static_emu(k_debian_interp, k_qemu_static)).build(), ActionKind::Mount,
         {"no F flag"}, k_debian_interp, k_qemu_static},
        {"no-F handler without any flags, static interpreter",
         B().handler("", k_qemu_static).interp(static_emu(k_qemu_static)).build(), ActionKind::Mount, {}, k_qemu_static,
         k_qemu_static},
        {"no-F handler, static interpreter preferred over the emulator",
         B().handler("P", k_debian_interp).interp(static_emu(k_debian_interp, "/opt/qemu/qemu-aarch64"))
             .emulator(static_emu(k_qemu_static)).build(),
         ActionKind::Mount, {}, k_debian_interp, "/opt/qemu/qemu-aarch64"},
        {"no-F handler, dynamic interpreter, static emulator found",
         B().handler("P", k_qemu_dynamic).interp(dynamic_emu(k_qemu_dynamic)).emulator(static_emu(k_qemu_static)).build(),
         ActionKind::Mount, {}, k_qemu_dynamic, k_qemu_static},
        {"no-F handler, interpreter gone, static emulator found",
         B().handler("P", k_debian_interp).interp(gone_emu(k_debian_interp))
             .emulator(static_emu("/usr/libexec/qemu-binfmt/aarch64-binfmt-P", k_qemu_static)).build(),
         ActionKind::Mount, {}, k_debian_interp, k_qemu_static},
        {"no-F handler, interpreter not inspected, static emulator found",
         B().handler("O", k_debian_interp).emulator(static_emu(k_qemu_static)).build(), ActionKind::Mount, {},
         k_debian_interp, k_qemu_static},
        {"no-F handler and nothing static",
         B().handler("P", k_qemu_dynamic).interp(dynamic_emu(k_qemu_dynamic)).reject(dynamic_emu(k_qemu_dynamic)).build(),
         ActionKind::Fail, {"has no F flag", k_qemu_dynamic + " must exist inside the container", "qemu-user-static",
                            "dynamically linked"}},
        {"no-F handler, emulator found but unusable",
         B().handler("P", k_qemu_dynamic).interp(dynamic_emu(k_qemu_dynamic)).emulator(dynamic_emu(k_qemu_dynamic)).build(),
         ActionKind::Fail, {"qemu-user-static"}},

        // --- a matching entry exists but is switched off
        {"disabled matching entry", B().handler("F", k_qemu_static, false).build(), ActionKind::Fail,
         {"'qemu-aarch64' is disabled", "echo 1 > /proc/sys/fs/binfmt_misc/qemu-aarch64"}},
        {"disabled matching entry wins over registering",
         B().handler("F", k_qemu_static, false).emulator(static_emu(k_qemu_static)).can_register().build(), ActionKind::Fail,
         {"disabled", "qemu-aarch64"}},
        {"disabled newer entry, enabled older F entry",
         B().handler("F", k_qemu_dynamic, false).handler("F", k_qemu_static).interp(static_emu(k_qemu_static)).build(),
         ActionKind::Covered, {}},

        // --- no handler at all
        {"no handler: register", B().emulator(static_emu(k_qemu_static)).can_register().build(), ActionKind::Register,
         {"register 'qemu-aarch64'", k_qemu_static}, {}, {}, k_qemu_static},
        {"no handler for this platform, only for another: register",
         B().handler("F", "/usr/bin/qemu-s390x-static", true, "linux/s390x").emulator(static_emu(k_qemu_static))
             .can_register().build(),
         ActionKind::Register, {}, {}, {}, k_qemu_static},
        {"no handler, policy fail",
         B().emulator(static_emu(k_qemu_static)).can_register().policy(Policy::Fail).build(), ActionKind::Fail,
         {"no binfmt_misc handler for aarch64", "policy is \"fail\"", "xarch install arm64", "\"policy\": \"register\""}},
        {"no handler, cannot register", B().emulator(static_emu(k_qemu_static)).build(), ActionKind::Fail,
         {"cannot register", "echo '" + register_line_for(k_qemu_static) + "' > /proc/sys/fs/binfmt_misc/register"}},
        {"no handler, no emulator", B().can_register().build(), ActionKind::Fail,
         {"no binfmt_misc handler for aarch64", "qemu-aarch64-static", "apt-get install qemu-user-static"}},
        {"no handler, unusable emulator",
         B().emulator(dynamic_emu(k_qemu_dynamic)).reject(dynamic_emu(k_qemu_dynamic)).can_register().build(),
         ActionKind::Fail, {"qemu-user-static", "dynamically linked"}},
        {"no handler, emulator path the kernel cannot take",
         B().emulator(static_emu("/opt/a:b/qemu-aarch64-static")).can_register().build(), ActionKind::Fail,
         {"cannot be registered"}},

        // --- platforms
        {"unknown platform", B().image(oci::Platform{"linux", "hppa", ""}, test::build_elf(test::elf_spec(false, true, test::k_em_parisc)))
                                 .emulator(static_emu(k_qemu_static)).can_register().build(),
         ActionKind::Fail, {"knows no emulator for linux/hppa"}},
        {"arm/v7 image with an F handler for arm",
         B().image(test::platform("linux/arm/v7"), test::elf_for("linux/arm/v7"))
             .handler("F", "/usr/bin/qemu-arm-static", true, "linux/arm/v7").interp(static_emu("/usr/bin/qemu-arm-static")).build(),
         ActionKind::Covered, {"qemu-arm"}},
        {"arm/v5 image with no handler: register qemu-arm",
         B().image(test::platform("linux/arm/v5"), test::elf_for("linux/arm/v5"))
             .emulator(static_emu("/usr/bin/qemu-arm-static")).can_register().build(),
         ActionKind::Register, {"qemu-arm"}, {}, {}, "/usr/bin/qemu-arm-static"},
        {"extension handler with F claims the file",
         B().file("/app/run.exe").extension_handler("exe", "F").build(), ActionKind::Covered, {"ext-exe"}},
    };

    for (const auto& row : rows) {
        DYNAMIC_SECTION(row.name) {
            const oci::Action a = oci::decide(row.facts);
            INFO("reason: " << a.reason);
            CHECK(oci::to_string(a.kind) == std::string(oci::to_string(row.kind)));
            CHECK_FALSE(a.reason.empty());
            for (const auto& s : row.reason_has) CHECK_THAT(a.reason, Contains(s));
            if (row.kind == ActionKind::Fail) {
                CHECK_THAT(a.reason, Contains(row.facts.image.str()));
                CHECK_THAT(a.reason, Contains(row.facts.host.str()));
                CHECK_THAT(a.reason, Contains("cannot run " + row.facts.image.str() + " image on " +
                                              row.facts.host.str() + " host: "));
            }
            if (row.kind == ActionKind::Mount) {
                CHECK(a.target == row.target);
                CHECK(a.source == row.source);
                CHECK_THAT(a.reason, Contains(row.target));
            }
            if (row.kind == ActionKind::Register) {
                CHECK(a.entry.name == "qemu-" + oci::qemu_target(row.facts.image));
                CHECK(a.entry.flags == "F");
                CHECK(a.entry.interpreter == row.entry_interp);
                CHECK(a.entry.magic == oci::catalogue_entry(row.facts.image)->magic);
                CHECK(a.entry.mask == oci::catalogue_entry(row.facts.image)->mask);
                CHECK_NOTHROW(oci::registration_line(a.entry));
            }
        }
    }
}

TEST_CASE("decide: register decision names qemu-aarch64 with flag F", "[decide]") {
    const Facts f = FactsBuilder().emulator(static_emu(k_qemu_static)).can_register().build();
    const oci::Action a = oci::decide(f);
    REQUIRE(a.kind == ActionKind::Register);
    CHECK(a.entry.name == "qemu-aarch64");
    CHECK(a.entry.flags == "F");
    CHECK(a.entry.has_flag('F'));
    CHECK(a.entry.enabled);
    CHECK(oci::registration_line(a.entry) == register_line_for(k_qemu_static));
}

TEST_CASE("decide: a registered entry makes the next decision Covered", "[decide]") {
    // What resolve_action does after registering: the same facts, plus the new entry.
    Facts f = FactsBuilder().emulator(static_emu(k_qemu_static)).can_register().build();
    const oci::Action first = oci::decide(f);
    REQUIRE(first.kind == ActionKind::Register);
    f.binfmt->entries.insert(f.binfmt->entries.begin(), first.entry);
    f.handler_interpreter = static_emu(k_qemu_static);
    f.can_register = false;
    const oci::Action second = oci::decide(f);
    CHECK(second.kind == ActionKind::Covered);
}

TEST_CASE("decide: never throws, and every outcome is well formed", "[decide]") {
    // Every combination of the facts that matter; decide is pure, so this is cheap.
    const std::vector<std::pair<oci::Platform, std::vector<std::uint8_t>>> images{
        {test::platform("linux/arm64"), test::elf_for("linux/arm64")},
        {test::platform("linux/arm/v7"), test::elf_for("linux/arm/v7")},
        {oci::Platform{"linux", "arm", ""}, test::elf_for("linux/arm/v7")},
        {oci::Platform{"linux", "hppa", ""}, {}},
    };
    const std::vector<std::optional<Emulator>> interps{std::nullopt, static_emu(k_qemu_static), dynamic_emu(k_qemu_dynamic),
                                                       gone_emu(k_qemu_static)};
    const std::vector<std::optional<Emulator>> emulators{std::nullopt, static_emu(k_qemu_static), dynamic_emu(k_qemu_dynamic),
                                                         static_emu("relative/qemu", k_qemu_static),
                                                         static_emu("", k_qemu_static)};
    int combinations = 0;
    for (const auto& [image, head] : images)
        for (int binfmt = 0; binfmt < 6; ++binfmt)
            for (const auto& interp : interps)
                for (const auto& emulator : emulators)
                    for (Policy policy : {Policy::Register, Policy::Fail})
                        for (bool can_register : {false, true})
                            for (bool native : {false, true}) {
                                FactsBuilder b;
                                b.image(image, head);
                                switch (binfmt) {
                                case 0: b.no_binfmt(); break;
                                case 1: b.binfmt_disabled(); break;
                                case 2: break;
                                case 3: b.handler("F", k_qemu_static, true, "linux/arm64").handler("F", "/q", true, "linux/arm/v7"); break;
                                case 4: b.handler("PO", k_debian_interp, true, "linux/arm64").handler("", "/q", true, "linux/arm/v7"); break;
                                case 5: b.handler("F", k_qemu_static, false, "linux/arm64").handler("F", "/q", false, "linux/arm/v7"); break;
                                }
                                if (interp) b.interp(*interp);
                                if (emulator) b.emulator(*emulator);
                                if (can_register) b.can_register();
                                b.policy(policy);
                                if (native) b.native();
                                const Facts f = b.build();
                                ++combinations;
                                oci::Action a;
                                REQUIRE_NOTHROW(a = oci::decide(f));
                                INFO(f.image.str() << " binfmt " << binfmt << " native " << native << ": "
                                                   << oci::to_string(a.kind) << ": " << a.reason);
                                REQUIRE_FALSE(a.reason.empty());
                                // binfmt_misc comes before the kernel's ELF loader: only an
                                // unclaimed file runs natively
                                const bool claimed = f.binfmt && oci::find_handler(*f.binfmt, f.head, f.filename);
                                if (native && !claimed) REQUIRE(a.kind == ActionKind::Native);
                                if (a.kind == ActionKind::Native) REQUIRE_FALSE(claimed);
                                switch (a.kind) {
                                case ActionKind::Fail:
                                    REQUIRE_THAT(a.reason, Contains(f.image.str()) && Contains(f.host.str()));
                                    break;
                                case ActionKind::Mount:
                                    REQUIRE_FALSE(a.source.empty());
                                    REQUIRE(a.source.is_absolute());
                                    REQUIRE_FALSE(a.target.empty());
                                    break;
                                case ActionKind::Register:
                                    REQUIRE(a.entry.has_flag('F'));
                                    REQUIRE(f.can_register);
                                    REQUIRE(f.policy == Policy::Register);
                                    REQUIRE_NOTHROW(oci::registration_line(a.entry));
                                    break;
                                case ActionKind::Native:
                                    REQUIRE(f.native);
                                    break;
                                case ActionKind::Covered:
                                    REQUIRE(f.binfmt);
                                    REQUIRE(f.binfmt->enabled);
                                    break;
                                }
                            }
    CHECK(combinations == 4 * 6 * 4 * 5 * 2 * 2 * 2);
}

TEST_CASE("to_string: every action kind has a name", "[decide]") {
    CHECK(std::string(oci::to_string(ActionKind::Native)) == "native");
    CHECK(std::string(oci::to_string(ActionKind::Covered)) == "covered");
    CHECK(std::string(oci::to_string(ActionKind::Mount)) == "mount");
    CHECK(std::string(oci::to_string(ActionKind::Register)) == "register");
    CHECK(std::string(oci::to_string(ActionKind::Fail)) == "fail");
}

TEST_CASE("decide: with inspect_emulator's own findings about host files", "[decide]") {
    const char* dynamic = "/bin/true";
    const char* static_path = "/bin/busybox";
    if (!test::fs::exists(dynamic) || !test::fs::exists(static_path)) {
        WARN("SKIP: needs /bin/true and /bin/busybox (busybox-static)");
        return;
    }
    const auto host = oci::host_platform();
    const auto image = host.architecture == "arm64" ? test::platform("linux/s390x") : test::platform("linux/arm64");
    const std::string qemu = "/usr/bin/qemu-" + oci::qemu_target(image);
    const auto facts = [&](const std::string& flags) {
        FactsBuilder b;
        b.image(image, test::elf_for(image.str())).handler(flags, qemu, true, image.str());
        Facts f = b.build();
        f.host = host;
        return f;
    };

    SECTION("F handler whose interpreter is dynamically linked") {
        Facts f = facts("F");
        f.handler_interpreter = oci::inspect_emulator(dynamic, host);
        const oci::Action a = oci::decide(f);
        INFO(a.reason);
        CHECK(a.kind == ActionKind::Covered);
        CHECK_THAT(a.warning, Contains("dynamically linked") && Contains("qemu-user-static") &&
                                  Contains("xarch install arm64 --replace"));
    }
    SECTION("F handler whose interpreter is gone") {
        Facts f = facts("F");
        f.handler_interpreter = oci::inspect_emulator("/nonexistent/qemu-static", host);
        CHECK(oci::decide(f).kind == ActionKind::Covered);
    }
    SECTION("no-F handler, static program as its interpreter") {
        Facts f = facts("PO");
        f.handler_interpreter = oci::inspect_emulator(static_path, host);
        const oci::Action a = oci::decide(f);
        INFO(a.reason);
        REQUIRE(a.kind == ActionKind::Mount);
        CHECK(a.target == qemu);
        CHECK(a.source == test::fs::canonical(static_path));
    }
    SECTION("no-F handler, dynamic interpreter, nothing else") {
        Facts f = facts("PO");
        f.handler_interpreter = oci::inspect_emulator(dynamic, host);
        f.rejected.push_back(*f.handler_interpreter);
        const oci::Action a = oci::decide(f);
        INFO(a.reason);
        CHECK(a.kind == ActionKind::Fail);
        CHECK_THAT(a.reason, Contains("qemu-user-static"));
    }
}

TEST_CASE("decide: rootless and per-namespace registration", "[decide]") {
    using B = FactsBuilder;
    SECTION("nothing visible, the kernel allows an instance: register in it") {
        const auto a = oci::decide(B().no_binfmt().rootless(true).emulator(static_emu(k_qemu_static)).build());
        CHECK(a.kind == ActionKind::Register);
        CHECK(a.scope == oci::RegisterScope::OwnNamespace);
        CHECK(a.entry.interpreter == k_qemu_static);
        CHECK(a.entry.flags == "F");
        CHECK_THAT(a.reason, Contains("its own binfmt_misc"));
    }
    SECTION("the host's binfmt_misc has nothing for it and is not writable: register in an instance") {
        const auto a = oci::decide(B().rootless(true).emulator(static_emu(k_qemu_static)).build());
        CHECK(a.kind == ActionKind::Register);
        CHECK(a.scope == oci::RegisterScope::OwnNamespace);
    }
    SECTION("the namespace already has its own instance: register there") {
        const auto a = oci::decide(B().rootless(false).own_instance().emulator(static_emu(k_qemu_static)).build());
        CHECK(a.kind == ActionKind::Register);
        CHECK(a.scope == oci::RegisterScope::Visible);
        CHECK_THAT(a.reason, Contains("this user namespace's binfmt_misc"));
    }
    SECTION("binfmt_misc invisible, but the platform's probe ran: left to the unseen handler") {
        Facts f = B().no_binfmt().rootless(true).emulator(static_emu(k_qemu_static)).build();
        f.runs_unseen = true;
        const auto a = oci::decide(f);
        CHECK(a.kind == ActionKind::Covered);
        CHECK_THAT(a.reason, Contains("cannot see"));
    }
    SECTION("a kernel before 6.7: one message naming the administrator's command") {
        const auto a = oci::decide(B().no_binfmt().rootless(false).emulator(static_emu(k_qemu_static)).build());
        CHECK(a.kind == ActionKind::Fail);
        CHECK_THAT(a.reason, Contains("Linux 6.7") && Contains("as root on the host: xarch install arm64"));
    }
    SECTION("policy fail never registers, not even in a namespace") {
        const auto a = oci::decide(B().rootless(true).emulator(static_emu(k_qemu_static)).policy(Policy::Fail).build());
        CHECK(a.kind == ActionKind::Fail);
        CHECK_THAT(a.reason, Contains("policy is \"fail\"") && Contains("in /etc/xarch/config.json"));
        auto f = B().rootless(true).emulator(static_emu(k_qemu_static)).policy(Policy::Fail).build();
        f.settings_file = "/home/u/xarch.json";
        CHECK_THAT(oci::decide(f).reason, Contains("\"policy\": \"register\" in /home/u/xarch.json"));
    }
    SECTION("policy namespace: never host-wide") {
        auto a = oci::decide(B().can_register().emulator(static_emu(k_qemu_static)).policy(Policy::Namespace).build());
        CHECK(a.kind == ActionKind::Fail);
        CHECK_THAT(a.reason, Contains("policy is \"namespace\""));
        a = oci::decide(B().rootless(true).emulator(static_emu(k_qemu_static)).policy(Policy::Namespace).build());
        CHECK(a.kind == ActionKind::Register);
        CHECK(a.scope == oci::RegisterScope::OwnNamespace);
    }
    SECTION("F and no-F host entries are used as they are") {
        CHECK(oci::decide(B().rootless(true).handler("F").interp(static_emu(k_qemu_static)).build()).kind ==
              ActionKind::Covered);
        const auto a =
            oci::decide(B().rootless(true).handler("OP", k_debian_interp).interp(static_emu(k_debian_interp, k_qemu_static)).build());
        CHECK(a.kind == ActionKind::Mount);
        CHECK(a.target == k_debian_interp);
    }
}

TEST_CASE("decide: what is wrong with the emulator found is said once, with its fix", "[decide]") {
    Emulator bad;
    bad.path = k_debian_interp;
    bad.resolved = k_qemu_static;
    bad.problem = "'" + k_qemu_static + "' is not owned by root";
    bad.fix = "as root on the host: chown root:root '" + k_qemu_static + "'";
    Emulator same = bad;
    same.path = k_qemu_static;
    const auto a = oci::decide(FactsBuilder().handler("OP", k_debian_interp).interp(bad).reject(same).build());
    CHECK(a.kind == ActionKind::Fail);
    const std::string problem = "is not owned by root";
    CHECK(a.reason.find(problem) != std::string::npos);
    CHECK(a.reason.find(problem) == a.reason.rfind(problem));
    CHECK_THAT(a.reason, Contains("chown root:root"));
    CHECK_THAT(a.reason, !Contains("apt-get install"));
    // Nothing found at all: then, and only then, the package.
    const auto none = oci::decide(FactsBuilder().handler("OP", k_debian_interp).build());
    CHECK_THAT(none.reason, Contains("apt-get install qemu-user-static"));
}

TEST_CASE("decide: a container with a user namespace of its own", "[decide]") {
    using B = FactsBuilder;
    SECTION("no-F entry, the namespace maps host root: an F entry in the container's own binfmt_misc") {
        const auto a = oci::decide(B().handler("OP", k_debian_interp).interp(static_emu(k_debian_interp, k_qemu_static))
                                       .emulator(static_emu(k_qemu_static)).container_userns(true).build());
        CHECK(a.kind == ActionKind::Register);
        CHECK(a.scope == oci::RegisterScope::Container);
        CHECK(a.entry.flags == "F");
        CHECK(a.entry.interpreter == k_qemu_static);
    }
    SECTION("... but not under policy fail, and not before the container runs") {
        auto a = oci::decide(B().handler("OP", k_debian_interp).interp(static_emu(k_debian_interp, k_qemu_static))
                                 .emulator(static_emu(k_qemu_static)).container_userns(true).policy(Policy::Fail).build());
        CHECK(a.kind == ActionKind::Fail);
        Facts f = B().handler("OP", k_debian_interp).interp(static_emu(k_debian_interp, k_qemu_static))
                      .emulator(static_emu(k_qemu_static)).container_userns(true).build();
        f.can_register_in_container = false;
        a = oci::decide(f);
        CHECK(a.kind == ActionKind::Fail);
        CHECK_THAT(a.reason, Contains("maps host root") && Contains("--replace"));
    }
    SECTION("no-F entry, the namespace does not map host root: mount as usual") {
        const auto a = oci::decide(B().handler("OP", k_debian_interp).interp(static_emu(k_debian_interp, k_qemu_static))
                                       .container_userns(false).build());
        CHECK(a.kind == ActionKind::Mount);
    }
    SECTION("nothing registered: policy register stays host-wide for root, policy namespace uses the container's") {
        auto a = oci::decide(B().can_register().emulator(static_emu(k_qemu_static)).container_userns(false).build());
        CHECK(a.kind == ActionKind::Register);
        CHECK(a.scope == oci::RegisterScope::Visible);
        a = oci::decide(B().can_register().emulator(static_emu(k_qemu_static)).container_userns(false)
                            .policy(Policy::Namespace).build());
        CHECK(a.kind == ActionKind::Register);
        CHECK(a.scope == oci::RegisterScope::Container);
        CHECK_THAT(a.reason, Contains("container's user namespace"));
    }
}

TEST_CASE("decide: a container with CAP_SYS_ADMIN in the host's user namespace", "[decide]") {
    using B = FactsBuilder;
    SECTION("no-F entry: no bind mount it could remount writable; the fix is an F entry") {
        Facts f = B().handler("OP", k_debian_interp).interp(static_emu(k_debian_interp, k_qemu_static))
                      .emulator(static_emu(k_qemu_static)).build();
        REQUIRE(oci::decide(f).kind == ActionKind::Mount);
        f.container_sys_admin = true;
        const auto a = oci::decide(f);
        CHECK(a.kind == ActionKind::Fail);
        CHECK_THAT(a.reason, Contains("CAP_SYS_ADMIN") && Contains("xarch install arm64 --replace"));
    }
    SECTION("an F entry: nothing is mounted, the container runs") {
        Facts f = B().handler("F").interp(static_emu(k_qemu_static)).build();
        f.container_sys_admin = true;
        CHECK(oci::decide(f).kind == ActionKind::Covered);
    }
    SECTION("no-F entry, the image brings its own emulator at the entry's path: left as it is, as without xarch") {
        for (const bool userns : {false, true}) {
            Facts f = B().handler("OP", k_debian_interp).interp(static_emu(k_debian_interp, k_qemu_static))
                          .emulator(static_emu(k_qemu_static)).build();
            (userns ? f.userns_maps_host_root : f.container_sys_admin) = true;
            f.image_has_interpreter = true;
            const auto a = oci::decide(f);
            CHECK(a.kind == ActionKind::Covered);
            CHECK_THAT(a.reason, Contains("the image has its own " + std::string(k_debian_interp)));
            // Not privileged: the host's emulator is mounted over the image's as before.
            f.userns_maps_host_root = f.container_sys_admin = false;
            CHECK(oci::decide(f).kind == ActionKind::Mount);
        }
    }
}

TEST_CASE("decide: an entry without F whose interpreter xarch does not trust gets the trusted emulator, with a warning", "[decide]") {
    Emulator untrusted = static_emu("/tmp/x/qemu-aarch64-static");
    untrusted.usable = false;
    untrusted.problem = "'/tmp/x/qemu-aarch64-static' is in directory '/tmp/x', which is writable by its group or by others";
    const auto a = oci::decide(FactsBuilder().handler("", "/tmp/x/qemu-aarch64-static").interp(untrusted)
                                   .emulator(static_emu(k_qemu_static)).build());
    REQUIRE(a.kind == ActionKind::Mount);
    CHECK(a.source == k_qemu_static);
    CHECK(a.target == "/tmp/x/qemu-aarch64-static");
    CHECK_THAT(a.warning, Contains("is in directory '/tmp/x'") && Contains("mounting " + std::string(k_qemu_static)));
}
