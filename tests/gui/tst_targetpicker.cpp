// The target picker against a real podtapd and kubesim (tests/e2e/scenarios/picker.yaml):
// contexts and namespaces come from the daemon, the list shows pods and workloads with their
// status, search filters it, choosing a pod offers its container ports, preflight runs by
// itself and shows a passing checklist for an allowed pod and a failing one (with what to
// ask the admin for, Start disabled) for a Pod Security restricted namespace and for missing
// RBAC; empty and forbidden namespaces and a missing kubeconfig are explained; accepting
// yields the StartRequest session.start needs. Screenshots: target-picker.png and
// preflight-failure.png in BINDIR/tests/gui/screenshots.
#include "../e2e/support/kubesimprocess.h"
#include "daemonlink.h"
#include "daemonprocess.h"
#include "preflightchecklistmodel.h"
#include "screenshot.h"
#include "targetlistmodel.h"
#include "targetpickerdialog.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QGuiApplication>
#include <QIcon>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <memory>

#include <unistd.h>

using namespace Qt::StringLiterals;
using podtap::DaemonLink;
using podtap::PreflightChecklistModel;
using podtap::TargetListModel;
using podtap::TargetPickerDialog;

namespace {
constexpr int AnswerMs = 20000;
}

class TestTargetPicker : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();
    void pickAllowedPod();
    void workloadsAndServices();
    void restrictedNamespaceFails();
    void nonRootProfileNeedsImage();
    void baselineProfileOffered();
    void missingRbacFails();
    void emptyStates();
    void noKubeconfig();
    void staleAnswerDropped();
    void daemonNotRunning();

private:
    // Opens the dialog on namespace `ns` of context `context`, targets loaded.
    void openOn(const QString &ns, const QString &context = u"tapper"_s);
    // Selects the row whose target is `target`; false if it is not listed.
    bool select(const QString &target);
    template<typename T>
    T *child(const QString &name) const
    {
        return m_dialog->findChild<T *>(name);
    }
    QPushButton *startButton() const { return child<QPushButton>(u"start"_s); }

    QTemporaryDir m_dir;
    KubesimProcess m_kubesim;
    std::unique_ptr<DaemonProcess> m_daemon;
    std::unique_ptr<DaemonLink> m_link;
    std::unique_ptr<TargetPickerDialog> m_dialog;
    std::unique_ptr<QAbstractItemModelTester> m_targetTester;
    std::unique_ptr<QAbstractItemModelTester> m_checklistTester;
    std::unique_ptr<QSignalSpy> m_preflightSpy;
};

void TestTargetPicker::initTestCase()
{
    if (geteuid() != 0)
        QSKIP("kubesim's pods are network namespaces: this test needs root");
    QVERIFY(m_dir.isValid());
    // The GUI's settings (kubeconfig paths) must not come from the machine's user.
    qputenv("XDG_CONFIG_HOME", m_dir.filePath(u"config"_s).toLocal8Bit());
    QString error;
    QVERIFY2(m_kubesim.start(QStringLiteral(SRCDIR "/../e2e/scenarios/picker.yaml"), m_dir.path(),
                             &error),
             qPrintable(error));
    const QString socket = m_dir.filePath(u"podtapd.sock"_s);
    m_daemon = std::make_unique<DaemonProcess>(socket, m_dir.filePath(u"store"_s),
                                               m_dir.filePath(u"podtapd.log"_s));
    QVERIFY2(m_daemon->start(&error), qPrintable(error));
    DaemonLink::Options o;
    o.socketPath = socket;
    o.startDaemon = false;
    m_link = std::make_unique<DaemonLink>(o);
    m_link->start();
    QTRY_COMPARE_WITH_TIMEOUT(m_link->state(), DaemonLink::State::Connected, 10000);
}

void TestTargetPicker::cleanupTestCase()
{
    m_dialog.reset();
    m_link.reset();
    m_daemon.reset();
    m_kubesim.stop();
}

void TestTargetPicker::init()
{
    m_dialog = std::make_unique<TargetPickerDialog>(m_link.get());
    m_dialog->setPreflightDelayMs(50);
    m_targetTester = std::make_unique<QAbstractItemModelTester>(
            m_dialog->targetModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_checklistTester = std::make_unique<QAbstractItemModelTester>(
            m_dialog->checklistModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    m_preflightSpy
            = std::make_unique<QSignalSpy>(m_dialog.get(), &TargetPickerDialog::preflightFinished);
    m_dialog->show();
}

void TestTargetPicker::cleanup()
{
    m_preflightSpy.reset();
    m_targetTester.reset();
    m_checklistTester.reset();
    m_dialog.reset();
}

void TestTargetPicker::openOn(const QString &ns, const QString &context)
{
    QSignalSpy contexts(m_dialog.get(), &TargetPickerDialog::contextsLoaded);
    QSignalSpy namespaces(m_dialog.get(), &TargetPickerDialog::namespacesLoaded);
    QSignalSpy targets(m_dialog.get(), &TargetPickerDialog::targetsLoaded);
    m_dialog->setKubeconfig({m_kubesim.kubeconfig()});
    QVERIFY(contexts.wait(AnswerMs));
    auto *contextBox = child<QComboBox>(u"context"_s);
    QVERIFY(contextBox);
    QCOMPARE(contextBox->count(), 2);
    QCOMPARE(contextBox->currentText(), u"tapper"_s); // the kubeconfig's current context
    QTRY_VERIFY_WITH_TIMEOUT(namespaces.count() >= 1, AnswerMs);
    if (context != contextBox->currentText()) {
        namespaces.clear();
        contextBox->setCurrentIndex(contextBox->findText(context));
        QTRY_VERIFY_WITH_TIMEOUT(namespaces.count() >= 1, AnswerMs);
    }
    QTRY_VERIFY_WITH_TIMEOUT(targets.count() >= 1, AnswerMs);
    auto *nsBox = child<QComboBox>(u"namespace"_s);
    if (nsBox->currentText() != ns) {
        targets.clear();
        QElapsedTimer t;
        t.start();
        nsBox->setCurrentText(ns); // as if typed or chosen: debounced
        QVERIFY(targets.wait(AnswerMs));
        qInfo("namespace %s listed in %lld ms (incl. %d ms typing delay)", qPrintable(ns),
              qint64(t.elapsed()), 400);
    }
}

bool TestTargetPicker::select(const QString &target)
{
    auto *view = child<QTreeView>(u"targets"_s);
    QAbstractItemModel *m = view->model();
    for (int row = 0; row < m->rowCount(); ++row) {
        const QModelIndex i = m->index(row, 0);
        if (i.data(TargetListModel::TargetRole).toString() == target) {
            view->selectionModel()->select(i, QItemSelectionModel::ClearAndSelect
                                                      | QItemSelectionModel::Rows);
            return true;
        }
    }
    return false;
}

void TestTargetPicker::pickAllowedPod()
{
    openOn(u"shop"_s);
    auto *nsBox = child<QComboBox>(u"namespace"_s);
    for (const QString &ns : {u"shop"_s, u"locked"_s, u"secret"_s, u"empty"_s})
        QVERIFY2(nsBox->findText(ns) >= 0, qPrintable(ns));

    // 3 pods, a deployment, a statefulset, 2 services, with their status.
    TargetListModel *model = m_dialog->targetModel();
    QCOMPARE(model->rowCount(), 7);
    const int web = model->rowOf(u"web"_s);
    QVERIFY(web >= 0);
    QCOMPARE(model->index(web, TargetListModel::KindColumn).data().toString(), u"pod"_s);
    QCOMPARE(model->index(web, TargetListModel::StatusColumn).data().toString(), u"Running"_s);
    QCOMPARE(model->index(web, TargetListModel::ReadyColumn).data().toString(), u"1/1"_s);
    QCOMPARE(model->index(web, TargetListModel::PortsColumn).data().toString(), u"8080, 9090"_s);
    const int api = model->rowOf(u"deployment/api"_s);
    QVERIFY(api >= 0);
    QCOMPARE(model->index(api, TargetListModel::ReadyColumn).data().toString(), u"1/1"_s);
    QCOMPARE(model->index(api, TargetListModel::StatusColumn).data().toString(), u"Available"_s);
    QVERIFY(child<QLabel>(u"status"_s)->text().contains(u"7 targets in namespace shop"));

    // Search filters the list (name, kind, status… any column).
    auto *search = child<QLineEdit>(u"search"_s);
    auto *view = child<QTreeView>(u"targets"_s);
    search->setText(u"api"_s);
    QCOMPARE(view->model()->rowCount(), 3); // pod api-0, deployment api, service api
    search->setText(u"statefulset"_s);
    QCOMPARE(view->model()->rowCount(), 1);
    search->setText(u"WEB"_s);
    QCOMPARE(view->model()->rowCount(), 2); // pod web, service web
    search->clear();
    QCOMPARE(view->model()->rowCount(), 7);

    // Choosing the pod offers its container ports; preflight runs on its own.
    QVERIFY(!startButton()->isEnabled());
    QElapsedTimer t;
    t.start();
    QVERIFY(select(u"web"_s));
    auto *port = child<QComboBox>(u"port"_s);
    QCOMPARE(port->count(), 2);
    QCOMPARE(port->itemData(0).toInt(), 8080);
    QVERIFY2(port->itemText(0).contains(u"http"), qPrintable(port->itemText(0)));
    QCOMPARE(port->itemData(1).toInt(), 9090);
    QVERIFY(!startButton()->isEnabled()); // not before the checklist is in
    QVERIFY(m_preflightSpy->wait(AnswerMs));
    qInfo("pod chosen → checklist shown in %lld ms", qint64(t.elapsed()));
    QCOMPARE(m_preflightSpy->takeFirst().at(0).toBool(), true);
    PreflightChecklistModel *checks = m_dialog->checklistModel();
    QVERIFY(checks->rowCount() >= 10);
    QCOMPARE(checks->fails(), 0);
    if (checks->warnings() > 0) {
        QVERIFY(!startButton()->isEnabled());
        QVERIFY(child<QCheckBox>(u"startAnyway"_s)->isEnabled());
        child<QCheckBox>(u"startAnyway"_s)->setChecked(true);
    }
    QVERIFY2(startButton()->isEnabled(), qPrintable(m_dialog->problem()));

    // Free entry of a port: checked again before Start is offered.
    port->setEditText(u"12345"_s);
    QVERIFY(!startButton()->isEnabled());
    QVERIFY(m_preflightSpy->wait(AnswerMs));
    if (checks->warnings() > 0)
        child<QCheckBox>(u"startAnyway"_s)->setChecked(true);
    QTRY_VERIFY(startButton()->isEnabled());
    QCOMPARE(m_dialog->request().port, 12345);
    port->setCurrentIndex(0);
    QVERIFY(m_preflightSpy->wait(AnswerMs));
    if (checks->warnings() > 0)
        child<QCheckBox>(u"startAnyway"_s)->setChecked(true);
    QTRY_VERIFY(startButton()->isEnabled());

    child<QCheckBox>(u"mirror"_s)->setChecked(true);
    child<QSpinBox>(u"mirrorPort"_s)->setValue(9100);
    QTest::qWait(100); // let the layout follow the verdict's new lines
    const QString shot = podtap::test::saveScreenshot(m_dialog.get(), u"target-picker"_s);
    QVERIFY(!shot.isEmpty());
    qInfo("screenshot: %s", qPrintable(shot));

    startButton()->click();
    QCOMPARE(m_dialog->result(), int(QDialog::Accepted));
    const auto r = m_dialog->request();
    QCOMPARE(r.kubeconfig, QStringList{m_kubesim.kubeconfig()});
    QCOMPARE(r.context, u"tapper"_s);
    QCOMPARE(r.ns, u"shop"_s);
    QCOMPARE(r.target, u"web"_s);
    QCOMPARE(r.port, 8080);
    QCOMPARE(r.mirrorPort, 9100);
    QCOMPARE(r.joinMidstream, false);
}

void TestTargetPicker::workloadsAndServices()
{
    openOn(u"shop"_s);
    QVERIFY(select(u"deployment/api"_s));
    auto *port = child<QComboBox>(u"port"_s);
    QCOMPARE(port->count(), 1);
    QCOMPARE(port->itemData(0).toInt(), 8081); // from the pod template
    QVERIFY(m_preflightSpy->wait(AnswerMs));
    QCOMPARE(m_preflightSpy->takeFirst().at(0).toBool(), true);
    QCOMPARE(m_dialog->request().target, u"deployment/api"_s);

    // A Service offers its own ports, saying which pod port each is.
    QVERIFY(select(u"service/web"_s));
    QCOMPARE(port->count(), 1);
    QCOMPARE(port->itemData(0).toInt(), 80);
    QVERIFY2(port->itemText(0).contains(u"pod port 8080"), qPrintable(port->itemText(0)));
    QVERIFY(m_preflightSpy->wait(AnswerMs));
    QCOMPARE(m_preflightSpy->takeFirst().at(0).toBool(), true);
    QVERIFY2(child<QLabel>(u"verdict"_s)->text().contains(u"pod port 8080"),
             qPrintable(child<QLabel>(u"verdict"_s)->text()));
}

void TestTargetPicker::restrictedNamespaceFails()
{
    openOn(u"locked"_s);
    QCOMPARE(m_dialog->targetModel()->rowCount(), 1);
    QVERIFY(select(u"strict"_s));
    QVERIFY(m_preflightSpy->wait(AnswerMs));
    QCOMPARE(m_preflightSpy->takeFirst().at(0).toBool(), false);
    PreflightChecklistModel *checks = m_dialog->checklistModel();
    QVERIFY(checks->fails() >= 1);
    // Failures are listed first, with the fail status and what to ask for.
    const QModelIndex first = checks->index(0, PreflightChecklistModel::StatusColumn);
    QCOMPARE(first.data().toString(), u"fail"_s);
    QCOMPARE(checks->index(0, 0).data(PreflightChecklistModel::IdRole).toString(),
             u"podsecurity"_s);
    QVERIFY(!first.data(Qt::DecorationRole).value<QIcon>().isNull());
    QVERIFY2(checks->index(0, PreflightChecklistModel::WhyColumn)
                     .data()
                     .toString()
                     .contains(u"restricted"),
             qPrintable(checks->index(0, PreflightChecklistModel::WhyColumn).data().toString()));
    auto *ask = child<QPlainTextEdit>(u"ask"_s);
    QVERIFY2(ask->toPlainText().contains(u"pod-security.kubernetes.io/enforce=privileged"),
             qPrintable(ask->toPlainText()));
    QVERIFY(ask->isReadOnly());
    QVERIFY(ask->textInteractionFlags() & Qt::TextSelectableByMouse);
    // Never startable, not even "anyway".
    QVERIFY(!startButton()->isEnabled());
    QVERIFY(!child<QCheckBox>(u"startAnyway"_s)->isEnabled());
    QVERIFY(child<QLabel>(u"verdict"_s)->text().startsWith(u"Preflight failed"));
    // The request for the admin can be copied as is.
    child<QPushButton>(u"copyAsk"_s)->click();
    QCOMPARE(QGuiApplication::clipboard()->text(), ask->toPlainText());
    QTest::qWait(100); // let the layout follow the verdict's new lines
    const QString shot = podtap::test::saveScreenshot(m_dialog.get(), u"preflight-failure"_s);
    QVERIFY(!shot.isEmpty());
    qInfo("screenshot: %s", qPrintable(shot));
}

void TestTargetPicker::nonRootProfileNeedsImage()
{
    openOn(u"shop"_s);
    auto *profile = child<QComboBox>(u"tapProfile"_s);
    QCOMPARE(profile->currentData().toString(), u"default"_s);
    // One plain sentence on the trade-off, next to the choice.
    const QString note = child<QLabel>(u"tapProfileNote"_s)->text();
    QVERIFY2(note.contains(u"as root") && note.contains(u"uid 65532")
                     && note.contains(u"must allow privilege escalation"),
             qPrintable(note));
    QVERIFY(select(u"web"_s));
    QVERIFY(m_preflightSpy->wait(AnswerMs));
    QCOMPARE(m_preflightSpy->takeFirst().at(0).toBool(), true);

    // Non-root with the settings' default image (netshoot, no file capability): checked
    // again, and the image item says why it cannot work.
    profile->setCurrentIndex(profile->findData(u"nonroot"_s));
    QVERIFY(!startButton()->isEnabled());
    QVERIFY(m_preflightSpy->wait(AnswerMs));
    QCOMPARE(m_preflightSpy->takeFirst().at(0).toBool(), false);
    PreflightChecklistModel *checks = m_dialog->checklistModel();
    QCOMPARE(checks->index(0, 0).data(PreflightChecklistModel::IdRole).toString(), u"image"_s);
    QVERIFY2(checks->index(0, PreflightChecklistModel::WhyColumn)
                     .data()
                     .toString()
                     .contains(u"cap_net_raw+ep"),
             qPrintable(checks->index(0, PreflightChecklistModel::WhyColumn).data().toString()));
    QVERIFY(!startButton()->isEnabled());
    QCOMPARE(m_dialog->request().tapProfile, u"nonroot"_s);
    QCOMPARE(podtap::SessionController::startRequest(m_dialog->request()).tapProfile, u"nonroot"_s);

    // Back to default: startable again.
    profile->setCurrentIndex(profile->findData(u"default"_s));
    QVERIFY(m_preflightSpy->wait(AnswerMs));
    QCOMPARE(m_preflightSpy->takeFirst().at(0).toBool(), true);
    QCOMPARE(podtap::SessionController::startRequest(m_dialog->request()).tapProfile, u"default"_s);
}

void TestTargetPicker::baselineProfileOffered()
{
    openOn(u"shop"_s);
    auto *profile = child<QComboBox>(u"tapProfile"_s);
    QVERIFY(profile->findData(u"baseline"_s) >= 0);
    const QString note = child<QLabel>(u"tapProfileNote"_s)->text();
    QVERIFY2(note.contains(u"Baseline adds no capability") && note.contains(u"not CRI-O"),
             qPrintable(note));
    QVERIFY(select(u"web"_s));
    QVERIFY(m_preflightSpy->wait(AnswerMs));
    QCOMPARE(m_preflightSpy->takeFirst().at(0).toBool(), true);

    // Preselected as the main window does from Settings (an unknown name changes nothing),
    // shown in the combo box and checked again, with the node runtime item of this profile.
    m_dialog->setTapProfile(u"root"_s);
    QCOMPARE(profile->currentData().toString(), u"default"_s);
    m_dialog->setTapProfile(u"baseline"_s);
    QCOMPARE(profile->currentData().toString(), u"baseline"_s);
    QVERIFY(m_preflightSpy->wait(AnswerMs));
    QCOMPARE(m_preflightSpy->takeFirst().at(0).toBool(), true);
    PreflightChecklistModel *checks = m_dialog->checklistModel();
    int runtimeRow = -1;
    for (int row = 0; row < checks->rowCount(); ++row)
        if (checks->index(row, 0).data(PreflightChecklistModel::IdRole).toString() == u"runtime"_s)
            runtimeRow = row;
    QVERIFY(runtimeRow >= 0);
    // This user may not read nodes (cluster-scoped): the runtime is unknown, a warning the
    // user acknowledges, as every warning.
    QCOMPARE(checks->index(runtimeRow, PreflightChecklistModel::StatusColumn).data().toString(),
             u"warn"_s);
    QVERIFY(!startButton()->isEnabled());
    child<QCheckBox>(u"startAnyway"_s)->setChecked(true);
    QVERIFY(startButton()->isEnabled());
    QCOMPARE(m_dialog->request().tapProfile, u"baseline"_s);
    QCOMPARE(podtap::SessionController::startRequest(m_dialog->request()).tapProfile,
             u"baseline"_s);
}

void TestTargetPicker::missingRbacFails()
{
    openOn(u"secret"_s);
    // Pods may be listed here, workloads and services not: said, with the rule to ask for.
    QCOMPARE(m_dialog->targetModel()->rowCount(), 1);
    const QString status = child<QLabel>(u"status"_s)->text();
    QVERIFY2(status.contains(u"Not allowed to list") && status.contains(u"services"),
             qPrintable(status));
    QVERIFY(select(u"vault"_s));
    QCOMPARE(child<QComboBox>(u"port"_s)->itemData(0).toInt(), 8200);
    QVERIFY(m_preflightSpy->wait(AnswerMs));
    QCOMPARE(m_preflightSpy->takeFirst().at(0).toBool(), false);
    const QString ask = child<QPlainTextEdit>(u"ask"_s)->toPlainText();
    QVERIFY2(ask.contains(u"resources: [\"pods/ephemeralcontainers\"], verbs: [\"patch\"]"),
             qPrintable(ask));
    QVERIFY(!startButton()->isEnabled());
}

void TestTargetPicker::emptyStates()
{
    openOn(u"empty"_s);
    QCOMPARE(m_dialog->targetModel()->rowCount(), 0);
    QVERIFY2(child<QLabel>(u"status"_s)->text().contains(u"No pods, workloads or services"),
             qPrintable(child<QLabel>(u"status"_s)->text()));
    QVERIFY(!startButton()->isEnabled());

    // A user who may list nothing: the namespace can still be typed, the reason is shown.
    QSignalSpy targets(m_dialog.get(), &TargetPickerDialog::targetsLoaded);
    auto *contextBox = child<QComboBox>(u"context"_s);
    contextBox->setCurrentIndex(contextBox->findText(u"nobody"_s));
    QTRY_VERIFY_WITH_TIMEOUT(targets.count() >= 1, AnswerMs);
    QVERIFY(child<QComboBox>(u"namespace"_s)->isEditable());
    QVERIFY(!child<QComboBox>(u"namespace"_s)->currentText().isEmpty());
    targets.clear();
    // (the context's own namespace is shop: type another one)
    child<QComboBox>(u"namespace"_s)->setCurrentText(u"locked"_s);
    QVERIFY(targets.wait(AnswerMs));
    const QString status = child<QLabel>(u"status"_s)->text();
    QVERIFY2(status.startsWith(u"Not allowed") && status.contains(u"resources: [\"pods\"]"),
             qPrintable(status));
    QCOMPARE(m_dialog->targetModel()->rowCount(), 0);
}

void TestTargetPicker::noKubeconfig()
{
    QSignalSpy contexts(m_dialog.get(), &TargetPickerDialog::contextsLoaded);
    m_dialog->setKubeconfig({m_dir.filePath(u"nowhere/kubeconfig"_s)});
    QVERIFY(contexts.wait(AnswerMs));
    const QString status = child<QLabel>(u"status"_s)->text();
    QVERIFY2(status.startsWith(u"No kubeconfig found") && status.contains(u"KUBECONFIG"),
             qPrintable(status));
    QCOMPARE(child<QComboBox>(u"context"_s)->count(), 0);
    QVERIFY(!startButton()->isEnabled());
    QCOMPARE(m_dialog->problem(), u"Choose a kubeconfig context."_s);
}

void TestTargetPicker::staleAnswerDropped()
{
    openOn(u"shop"_s);
    // "empty" answers after 1.5 s (scenario fault); the user moves on to "locked" first.
    QSignalSpy targets(m_dialog.get(), &TargetPickerDialog::targetsLoaded);
    auto *nsBox = child<QComboBox>(u"namespace"_s);
    nsBox->setCurrentText(u"empty"_s);
    QTest::qWait(600); // past the typing delay: the request for "empty" is in flight
    QVERIFY(child<QLabel>(u"status"_s)->text().startsWith(u"Loading"));
    nsBox->setCurrentText(u"locked"_s);
    QVERIFY(targets.wait(AnswerMs));
    QCOMPARE(m_dialog->targetModel()->rowCount(), 1);
    QTest::qWait(1500); // the late answer for "empty" arrives, and must change nothing
    QCOMPARE(targets.count(), 1);
    QCOMPARE(m_dialog->targetModel()->rowCount(), 1);
    QCOMPARE(m_dialog->targetModel()->target(0), u"strict"_s);
    QVERIFY(child<QLabel>(u"status"_s)->text().contains(u"namespace locked"));
}

void TestTargetPicker::daemonNotRunning()
{
    DaemonLink::Options o;
    o.socketPath = m_dir.filePath(u"nobody-listens.sock"_s);
    o.startDaemon = false;
    DaemonLink link(o);
    link.start();
    TargetPickerDialog dialog(&link);
    QSignalSpy contexts(&dialog, &TargetPickerDialog::contextsLoaded);
    QVERIFY(contexts.wait(AnswerMs));
    const QString status = dialog.findChild<QLabel *>(u"status"_s)->text();
    QVERIFY2(status.startsWith(u"podtapd is not running"), qPrintable(status));
    QVERIFY(!dialog.findChild<QPushButton *>(u"start"_s)->isEnabled());
}

QTEST_MAIN(TestTargetPicker)
#include "tst_targetpicker.moc"
